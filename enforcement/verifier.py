"""The verification loop: measure every active intent and say whether the network does what
it asked.

Each pass reads the kernel once (classes, their counters, the nft table and its
counters) and the database (command acks, reports since the ack, the registry), measures
every policy of every active intent, judges its check (``enforcement.verification``) and
records, through ``intent_lifecycle.record_check``:

- per policy, the verdict and what was measured;
- per intent, the worst verdict of its policies with the reason, the check counters behind
  its satisfaction ratio, and one ``intent_check`` row (kept 7 days) for its history;
- ``enforcement.violated`` findings for intents violated on ``violations_for_finding``
  consecutive checks, resolved when the intent is satisfied again.

Rates are counter deltas between two passes; the first pass after start judges a limit by
the class the kernel holds and measures the rate from the next pass on.
"""

from __future__ import annotations

import itertools
import logging
import statistics
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.clock import Clock, to_ms
from core.db import Database
from core.errors import EnforcementError
from core.intents.policy import FirewallSpec, ImpairSpec, ShapeSpec
from core.models import (
    Command,
    Device,
    DeviceSeq,
    IntentCheckIn,
    PolicyCheck,
    PolicyStatus,
    Reading,
    Series,
    StoredPolicy,
    Verdict,
)
from core.ports import Firewall, FirewallRule, ShapeClass, TrafficShaper
from core.services import intent_lifecycle, policies
from enforcement.verification import Broken, Measure, Outcome, Unknown, Unobservable, judge, worst

log = logging.getLogger(__name__)

CADENCE_INTERVALS = 3
"""Report intervals seen after the ack before a cadence is judged."""
CADENCE_SAMPLE = 50
NO_LATENCY_PROBE = "no latency probe yet: the class's HTB prio is what is checked"
SAMPLING_UNSEEN = "a device's sampling cadence is not visible in its reports; the ack is checked"


class Verifier:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        shaper: TrafficShaper,
        firewall: Firewall,
        link_rate_bps: int,
        violations_for_finding: int = 3,
    ) -> None:
        self._db = db
        self._clock = clock
        self.shaper = shaper
        self.firewall = firewall
        self._link = link_rate_bps
        self._for_finding = violations_for_finding
        self._cadence_base: dict[int, tuple[int, int, datetime]] = {}
        """Device policy id → (boot, sequence number, time) of the first report counted."""
        self._last_bytes: dict[int, tuple[int, float]] = {}
        """Class minor → (bytes sent, monotonic time) at the previous pass."""

    def verify(self) -> dict[int, Verdict]:
        """One pass over the active intents; returns each one's verdict."""
        kernel = _KernelView.read(self.shaper, self.firewall, self._clock.monotonic())
        now = self._clock.now()
        verdicts: dict[int, Verdict] = {}
        with self._db.writer() as session:
            for intent_id, stored in policies.active_policies(session=session).items():
                checked, outcomes = [], []
                for policy in stored:
                    outcome = judge(policy.check, self._measure(session, policy, kernel))
                    checked.append(
                        PolicyCheck(
                            policy_id=policy.id, verdict=outcome.verdict, measured=outcome.measured
                        )
                    )
                    who = policy.device_id or policy.address or "?"
                    outcomes.append(Outcome(outcome.verdict, f"{who}: {outcome.reason}"))
                decided = worst(outcomes)
                intent_lifecycle.record_check(
                    session=session,
                    check=IntentCheckIn(
                        intent_id=intent_id,
                        verdict=decided.verdict,
                        reason=decided.reason,
                        policies=checked,
                    ),
                    violations_for_finding=self._for_finding,
                    now=now,
                )
                verdicts[intent_id] = decided.verdict
            intent_lifecycle.prune_checks(session=session, now=now)
            session.commit()
        self._last_bytes = kernel.bytes_now
        return verdicts

    def _measure(
        self, session: Session, policy: StoredPolicy, kernel: _KernelView
    ) -> dict[str, Measure]:
        match policy.spec:
            case ShapeSpec() | ImpairSpec():
                return self._measure_class(policy, kernel)
            case FirewallSpec():
                return self._measure_firewall(policy, kernel)
        measures = _measure_device(session, policy)
        wants_cadence = _find_value(policy.check, "report_interval_s") is not None
        if measures and "report_interval_s" not in measures and wants_cadence:
            measures["report_interval_s"] = self._cadence(session, policy)
        return measures

    def _cadence(self, session: Session, policy: StoredPolicy) -> Measure:
        """Seconds per report since the ack: the time between two reports Warden saw,
        divided by the messages the device sent between them (its sequence numbers, which
        count lost messages too). Readings' own timestamps would give the sampling cadence
        of a device that sends several samples per message. A device without sequence
        numbers (flat JSON: one timestamp per message) is measured by its readings."""
        device_id = str(policy.device_id)
        acked_ms = (policy.applied or {}).get("acked_at_ms")
        seq = session.get(DeviceSeq, device_id)
        device = session.get(Device, device_id)
        if seq is None or seq.last is None or device is None or device.last_seen is None:
            return _reading_cadence(session, device_id, acked_ms)
        if acked_ms is not None and to_ms(device.last_seen) < acked_ms:
            return Unknown("no report since the device acked the change yet")
        base = self._cadence_base.get(policy.id)
        if base is None or base[0] != seq.boot or seq.last < base[1]:
            self._cadence_base[policy.id] = (seq.boot, seq.last, device.last_seen)
            return Unknown("counting the device's reports from now on")
        sent = seq.last - base[1]
        if sent < CADENCE_INTERVALS:
            return Unknown(
                f"{sent} report(s) counted since the ack; {CADENCE_INTERVALS} are needed "
                "to judge the cadence"
            )
        return (device.last_seen - base[2]).total_seconds() / sent

    def _measure_class(self, policy: StoredPolicy, kernel: _KernelView) -> dict[str, Measure]:
        if kernel.unknown is not None:
            return dict.fromkeys(_CLASS_MEASURES, Unknown(kernel.unknown))
        if policy.status != PolicyStatus.APPLIED or not policy.applied:
            return dict.fromkeys(_CLASS_MEASURES, Broken(policy.last_error or "not applied"))
        minor = int(policy.applied["minor"])
        held = kernel.classes.get(minor)
        if held is None:
            return dict.fromkeys(
                _CLASS_MEASURES, Broken(f"class {minor:#x} is missing from the kernel")
            )
        measures: dict[str, Measure] = {
            "class_config": _class_config(policy.check, held, self._link),
            "netem": _netem(held),
            "rtt_ms": Unobservable(NO_LATENCY_PROBE),
        }
        before = self._last_bytes.get(minor)
        now_bytes = kernel.bytes_now.get(minor)
        if before is not None and now_bytes is not None and now_bytes[1] > before[1]:
            rate = (now_bytes[0] - before[0]) * 8 / (now_bytes[1] - before[1])
            measures["class_rate_bps"] = max(rate, 0.0)
        else:
            # First sight of the class: judge the limit by what the kernel holds.
            measures["class_rate_bps"] = float(held.ceil_bps or self._link)
        return measures

    def _measure_firewall(self, policy: StoredPolicy, kernel: _KernelView) -> dict[str, Measure]:
        if kernel.unknown is not None:
            return {"firewall_action": Unknown(kernel.unknown)}
        address = (policy.applied or {}).get("address") or policy.address
        rule = kernel.rules.get(address) if address else None
        return {"firewall_action": rule.action if rule else None}


class _KernelView:
    """What the backends hold at the start of a pass."""

    def __init__(self) -> None:
        self.classes: dict[int, ShapeClass] = {}
        self.bytes_now: dict[int, tuple[int, float]] = {}
        self.rules: dict[str, FirewallRule] = {}
        self.unknown: str | None = None

    @classmethod
    def read(cls, shaper: TrafficShaper, firewall: Firewall, monotonic: float) -> _KernelView:
        view = cls()
        if "dry-run" in (shaper.mode, firewall.mode):
            view.unknown = "dry run: the kernel is not changed, so nothing can be measured"
            return view
        try:
            view.classes = {c.minor: c for c in shaper.read()}
            view.bytes_now = {
                minor: (int(stats.get("bytes", 0)), monotonic)
                for minor, stats in shaper.stats().items()
            }
            view.rules = {r.address: r for r in firewall.read()}
        except EnforcementError as exc:
            view.unknown = f"cannot read the kernel state: {exc}"
        return view


_CLASS_MEASURES = ("class_config", "class_rate_bps", "netem", "rtt_ms")
"""What depends on the kernel holding the policy's class."""


def _class_config(criteria: dict[str, Any], held: ShapeClass, link: int) -> Measure:
    """The class as the check's value describes it, or the value itself when they agree
    (a rate left open may be the backend's minimum; an open ceiling is the link)."""
    wanted = _find_value(criteria, "class_config")
    have = {"rate_bps": held.rate_bps, "ceil_bps": held.ceil_bps, "prio": held.prio}
    if wanted is None:
        return have

    def close(a: int | None, b: int | None) -> bool:
        a, b = a or link, b or link
        return abs(a - b) <= max(a, b) * 0.01

    rate_ok = wanted["rate_bps"] is None or close(wanted["rate_bps"], held.rate_bps)
    agrees = rate_ok and close(wanted["ceil_bps"], held.ceil_bps) and wanted["prio"] == held.prio
    return wanted if agrees else have


def _find_value(check: dict[str, Any], measure: str) -> Any:
    if "all" in check:
        for part in check["all"]:
            if (found := _find_value(part, measure)) is not None:
                return found
        return None
    return check["value"] if check.get("measure") == measure else None


def _netem(held: ShapeClass) -> Measure:
    if held.netem is None:
        return None
    return {
        "delay_ms": held.netem.delay_ms,
        "jitter_ms": held.netem.jitter_ms,
        "loss_pct": held.netem.loss_pct,
    }


_ANSWER_MEASURES = ("config_acked", "command_result", "ota_state", "report_interval_s")
"""What depends on the device's answer to the policy's command."""


def _measure_device(session: Session, policy: StoredPolicy) -> dict[str, Measure]:
    device = session.get(Device, policy.device_id) if policy.device_id else None
    if device is None:
        return {}
    measures: dict[str, Measure] = {
        "device_enabled": device.enabled,
        "firmware_version": device.firmware,
        "sample_interval_ms": Unobservable(SAMPLING_UNSEEN),
    }
    applied = policy.applied or {}
    if policy.status != PolicyStatus.APPLIED:
        answer: Measure = (
            Broken(policy.last_error or "failed")
            if policy.status == PolicyStatus.FAILED
            else Unknown(policy.last_error or "waiting for the device")
        )
        return {**measures, **dict.fromkeys(_ANSWER_MEASURES, answer)}
    command = session.get(Command, applied["command_id"]) if "command_id" in applied else None
    if command is not None:
        measures["config_acked"] = dict(command.params) if command.state == "accepted" else None
        measures["command_result"] = str(command.state)
        measures["ota_state"] = command.ota_state
    return measures  # the cadence is the verifier's: it needs earlier passes


def _reading_cadence(session: Session, device_id: str, since_ms: int | None) -> Measure:
    """Median seconds between the device's distinct reading timestamps since the ack (for
    flat-JSON devices one message is one timestamp, whatever metrics it carries)."""
    query = (
        select(Reading.ts)
        .join(Series, col(Series.id) == col(Reading.series_id))
        .where(Series.device_id == device_id)
        .distinct()
        .order_by(col(Reading.ts).desc())
        .limit(CADENCE_SAMPLE)
    )
    if since_ms is not None:
        query = query.where(col(Reading.ts) >= since_ms)
    stamps = sorted(session.exec(query).all())
    gaps = [(b - a) / 1000 for a, b in itertools.pairwise(stamps)]
    if len(gaps) < CADENCE_INTERVALS:
        return Unknown(
            f"{len(gaps)} report interval(s) seen since the ack; "
            f"{CADENCE_INTERVALS} are needed to judge the cadence"
        )
    return statistics.median(gaps)
