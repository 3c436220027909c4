"""Evaluation of the telemetry, liveness, pipeline and self-health rules at one instant.

Each function is pure: the caller passes the data and ``now_ms`` (its clock) and gets a
``Firing`` or ``None``. ``None`` also means "the condition has cleared", which is what lets
the findings service resolve a threshold or absence finding by itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import median

from core.rules.models import (
    AbsenceRule,
    AnomalyRule,
    Firing,
    SeqGapRule,
    SeqSuspectRule,
    SystemRule,
    ThresholdRule,
    compare,
    device_type_matches,
)

MAX_EVIDENCE = 100
MAD_SCALE = 1.4826
"""Makes the median absolute deviation estimate the standard deviation of normal data."""
MEANAD_SCALE = 1.2533
"""Same for the mean absolute deviation, the fallback when more than half the window is equal."""


def _sorted(points: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    return sorted((int(t), float(v)) for t, v in points if not math.isnan(float(v)))


def evaluate_threshold(
    rule: ThresholdRule,
    *,
    device_id: str,
    points: Sequence[tuple[int, float]],
    now_ms: int,
    device_type: str | None = None,
) -> Firing | None:
    """Fires when the newest reading at or before ``now_ms`` breaks the bound and the
    readings have broken it without interruption for at least ``for_s`` up to ``now_ms``
    (a reading holds until the next one). ``points`` are (ts_ms, value), in any order.
    A ``device_type`` the rule does not select never fires."""
    if not rule.enabled or not device_type_matches(rule.device_type, device_type):
        return None
    run: list[tuple[int, float]] = []
    for ts, value in reversed([p for p in _sorted(points) if p[0] <= now_ms]):
        if not compare(value, rule.op, rule.value):
            break
        run.append((ts, value))
    if not run:
        return None
    run.reverse()
    since_ms = run[0][0]
    if now_ms - since_ms < rule.for_s * 1000:
        return None
    last = run[-1][1]
    held = f" for {(now_ms - since_ms) // 1000} s" if rule.for_s else ""
    return Firing(
        rule_id=rule.id,
        severity=rule.severity,
        key=device_id,
        device_id=device_id,
        ts_ms=now_ms,
        count=len(run),
        evidence=[ts for ts, _ in run][-MAX_EVIDENCE:],
        summary=(
            f"{rule.metric} on {device_id} is {last:g} ({rule.op} {rule.value:g}){held}, "
            f"{len(run)} reading{'s' if len(run) != 1 else ''}"
        ),
        details={
            "metric": rule.metric,
            "op": rule.op,
            "bound": rule.value,
            "last": last,
            "since_ms": since_ms,
            "for_s": rule.for_s,
        },
    )


def robust_z(value: float, baseline: Sequence[float]) -> float | None:
    """``|value - median| / (1.4826 · MAD)`` over ``baseline``; when the MAD is 0 the mean
    absolute deviation (times 1.2533) stands in; ``None`` when the baseline is flat."""
    if not baseline:
        return None
    mid = median(baseline)
    deviations = [abs(x - mid) for x in baseline]
    scale = MAD_SCALE * median(deviations)
    if scale == 0:
        scale = MEANAD_SCALE * (sum(deviations) / len(deviations))
    if scale == 0 or not math.isfinite(scale):
        return None
    return abs(value - mid) / scale


def evaluate_anomaly(
    rule: AnomalyRule,
    *,
    device_id: str,
    points: Sequence[tuple[int, float]],
    now_ms: int,
    device_type: str | None = None,
) -> Firing | None:
    """Fires when the newest reading in the window (``now_ms - window_s``, ``now_ms``] lies
    more than ``z`` robust standard deviations from the other readings of the window, which
    must number at least ``min_count``. A flat baseline never fires."""
    if not rule.enabled or not device_type_matches(rule.device_type, device_type):
        return None
    horizon = now_ms - rule.window_s * 1000
    window = [p for p in _sorted(points) if horizon < p[0] <= now_ms]
    if len(window) < rule.min_count + 1:
        return None
    ts, value = window[-1]
    baseline = [v for _, v in window[:-1]]
    z = robust_z(value, baseline)
    if z is None or z <= rule.z:
        return None
    mid = median(baseline)
    return Firing(
        rule_id=rule.id,
        severity=rule.severity,
        key=device_id,
        device_id=device_id,
        ts_ms=now_ms,
        count=1,
        evidence=[ts],
        summary=(
            f"{rule.metric} on {device_id} is {value:g}, {z:.1f} robust deviations from its "
            f"median {mid:g} over {len(baseline)} readings in {rule.window_s} s"
        ),
        details={"metric": rule.metric, "value": value, "median": mid, "z": z, "at_ms": ts},
    )


def evaluate_absence(
    rule: AbsenceRule,
    *,
    device_id: str,
    device_type: str | None,
    status: str,
    last_seen_ms: int | None,
    now_ms: int,
) -> Firing | None:
    """Fires when liveness says ``offline`` and nothing was heard for more than ``grace_s``.
    A device never seen (``last_seen_ms`` is ``None``) has not gone silent: no firing."""
    if not rule.enabled or not device_type_matches(rule.device_type, device_type):
        return None
    if status != "offline" or last_seen_ms is None:
        return None
    silent_ms = now_ms - last_seen_ms
    if silent_ms <= rule.grace_s * 1000:
        return None
    return _device_firing(
        rule,
        device_id,
        now_ms,
        count=1,
        summary=f"{device_id} offline, silent for {silent_ms // 1000} s (grace {rule.grace_s} s)",
        details={"last_seen_ms": last_seen_ms, "silent_s": silent_ms // 1000},
    )


def evaluate_seq_gap(
    rule: SeqGapRule, *, device_id: str, missing_in_window: int, now_ms: int
) -> Firing | None:
    """Fires when at least ``min_missing`` messages from the device went missing within the
    last ``window_s`` (the caller counts them from the pipeline's sequence state)."""
    if not rule.enabled or missing_in_window < rule.min_missing:
        return None
    return _device_firing(
        rule,
        device_id,
        now_ms,
        count=missing_in_window,
        summary=(
            f"{_messages(missing_in_window)} from {device_id} missing within {rule.window_s} s"
        ),
        details={"missing": missing_in_window, "window_s": rule.window_s},
    )


def evaluate_seq_suspect(
    rule: SeqSuspectRule, *, device_id: str, held_in_window: int, now_ms: int
) -> Firing | None:
    """Fires when at least ``min_count`` messages from the device were held as suspect
    within the last ``window_s`` (the caller counts them from the pipeline's sequence
    state)."""
    if not rule.enabled or held_in_window < rule.min_count:
        return None
    return _device_firing(
        rule,
        device_id,
        now_ms,
        count=held_in_window,
        summary=(
            f"{_messages(held_in_window)} from {device_id} "
            f"within {rule.window_s} s jumped too far ahead to be trusted (held as suspect, "
            "not stored: see the dead letters)"
        ),
        details={"held": held_in_window, "window_s": rule.window_s},
    )


def _device_firing(
    rule: AbsenceRule | SeqGapRule | SeqSuspectRule,
    device_id: str,
    now_ms: int,
    *,
    count: int,
    summary: str,
    details: dict[str, object],
) -> Firing:
    """A firing about one device, keyed by it, with no evidence points (the device rules
    judge a state, not a series)."""
    return Firing(
        rule_id=rule.id,
        severity=rule.severity,
        key=device_id,
        device_id=device_id,
        ts_ms=now_ms,
        count=count,
        evidence=[],
        summary=summary,
        details=details,
    )


def _messages(count: int) -> str:
    return f"{count} message{'s' if count != 1 else ''}"


def evaluate_system(
    rule: SystemRule, *, measures: Mapping[str, float], now_ms: int
) -> Firing | None:
    """Fires when Warden's own measure ``check`` compares true; a missing measure never fires."""
    value = measures.get(rule.check)
    if not rule.enabled or value is None or not compare(value, rule.op, rule.value):
        return None
    return Firing(
        rule_id=rule.id,
        severity=rule.severity,
        key=rule.check,
        device_id=None,
        ts_ms=now_ms,
        count=1,
        evidence=[],
        summary=f"Warden {rule.check} is {value:g} ({rule.op} {rule.value:g})",
        details={"check": rule.check, "value": value, "op": rule.op, "bound": rule.value},
    )


def replay_telemetry(
    rule: ThresholdRule | AnomalyRule,
    *,
    device_id: str,
    points: Sequence[tuple[int, float]],
    since_ms: int,
    until_ms: int,
    device_type: str | None = None,
) -> list[Firing]:
    """What a threshold or anomaly rule would have fired on ``points`` between ``since_ms``
    and ``until_ms``, evaluated at each reading (so a firing is dated at the first reading
    that makes it true, which can be later than the live check, which runs every 30 s).

    A threshold fires once per episode: again only after a reading that clears it. An
    anomaly fires at each outlier, then stays quiet for ``cooldown_s``. ``points`` should
    start a ``window_s`` (anomaly) or ``for_s`` (threshold) before ``since_ms`` so the
    first instants have their history."""
    ordered = _sorted(points)
    if isinstance(rule, ThresholdRule):
        return _replay_threshold(rule, device_id, device_type, ordered, since_ms, until_ms)
    out: list[Firing] = []
    quiet_until = -(2**62)
    start = 0
    for end, (ts, _) in enumerate(ordered):
        if not since_ms <= ts < until_ms or ts < quiet_until:
            continue
        while ordered[start][0] <= ts - rule.window_s * 1000:
            start += 1
        firing = evaluate_anomaly(
            rule,
            device_id=device_id,
            points=ordered[start : end + 1],
            now_ms=ts,
            device_type=device_type,
        )
        if firing is not None:
            out.append(firing)
            quiet_until = ts + rule.cooldown_s * 1000
    return out


def _replay_threshold(
    rule: ThresholdRule,
    device_id: str,
    device_type: str | None,
    ordered: list[tuple[int, float]],
    since_ms: int,
    until_ms: int,
) -> list[Firing]:
    if not rule.enabled or not device_type_matches(rule.device_type, device_type):
        return []
    out: list[Firing] = []
    run_start: int | None = None
    fired = False
    run: list[int] = []  # reading times of the current episode
    for ts, value in ordered:
        if ts >= until_ms:
            break
        if not compare(value, rule.op, rule.value):
            run_start, fired, run = None, False, []
            continue
        if run_start is None:
            run_start = ts
        run.append(ts)
        if fired or ts < since_ms or ts - run_start < rule.for_s * 1000:
            continue
        fired = True
        held = (ts - run_start) // 1000
        out.append(
            Firing(
                rule_id=rule.id,
                severity=rule.severity,
                key=device_id,
                device_id=device_id,
                ts_ms=ts,
                count=len(run),
                evidence=run[-MAX_EVIDENCE:],
                summary=(
                    f"{rule.metric} on {device_id} is {value:g} ({rule.op} {rule.value:g}) "
                    f"for {held} s, {len(run)} reading{'s' if len(run) != 1 else ''}"
                ),
                details={
                    "metric": rule.metric,
                    "op": rule.op,
                    "bound": rule.value,
                    "last": value,
                    "since_ms": run_start,
                    "for_s": rule.for_s,
                },
            )
        )
    return out
