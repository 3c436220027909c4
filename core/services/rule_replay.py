"""Replaying stored history through a rule: "would it have fired, and why not?". The one
implementation behind ``warden rules test`` and the web console's "test against the last
24 h" (the rule as stored now, edits included, enabled or not)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import Session

from core.errors import InvalidInput
from core.rules import (
    AnomalyRule,
    AverageRule,
    Firing,
    PatternRule,
    ThresholdRule,
    replay,
    replay_telemetry,
)
from core.services import logs as log_service
from core.services import telemetry
from core.services.logs import log_event
from core.services.rules import RULES

REPLAY_LIMIT = 200_000
"""Log lines replayed at most (the newest)."""
REPLAY_POINTS = 50_000
"""Readings per device replayed at most (the newest)."""


@dataclass(frozen=True)
class RuleReplay:
    """What a rule (as stored now, enabled or not) would have raised on stored history."""

    rule_id: str
    looked_at: str
    """What was replayed, e.g. ``1200 lines replayed, 3 matched``."""
    why_not: str
    """Why it did not fire (meaningful when ``firings`` is empty)."""
    firings: list[Firing] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    """What was counted: ``lines``, ``selected``, ``matched`` for a log rule; ``devices``
    and ``readings`` for a telemetry rule."""


def replay_rule(*, session: Session, rule_id: str, since_ms: int, until_ms: int) -> RuleReplay:
    """Replay the stored log lines or readings in ``[since_ms, until_ms)`` through the rule.
    ``InvalidInput`` for a rule that judges the present (liveness, sequence gaps, health),
    whose history is not kept; ``NotFound`` for an unknown rule."""
    if since_ms >= until_ms:
        raise InvalidInput("the replay must start before it ends")
    rule = RULES.get(session=session, entry_id=rule_id).model_copy(update={"enabled": True})
    if isinstance(rule, PatternRule | AverageRule):
        return _replay_logs(session, rule, since_ms, until_ms)
    if isinstance(rule, ThresholdRule | AnomalyRule):
        return _replay_readings(session, rule, since_ms, until_ms)
    raise InvalidInput(
        f"{rule_id} ({rule.kind} rule) judges the present (liveness, sequence counters, "
        "Warden's own health), whose history is not kept, so it cannot be replayed; "
        "its findings show what it raised"
    )


def _replay_logs(
    session: Session, rule: PatternRule | AverageRule, since_ms: int, until_ms: int
) -> RuleReplay:
    lines = log_service.query_logs(
        session=session, since_ms=since_ms, until_ms=until_ms, limit=REPLAY_LIMIT
    ).items
    events = [log_event(line) for line in reversed(lines)]
    selected = [e for e in events if rule.selects(e)]
    pattern = re.compile(rule.regex)
    matched = sum(1 for e in selected if pattern.search(e.message))
    if not events:
        why = "no log lines were stored in that time"
    elif not selected:
        why = "no stored line passes the rule's class/app/host restrictions"
    elif not matched:
        why = f"{len(selected)} line(s) passed the restrictions but none matched the regex"
    elif isinstance(rule, PatternRule):
        why = (
            f"{matched} line(s) matched, but never {rule.threshold} for one key "
            f"({rule.key}) within {rule.window_s} s"
        )
    else:
        why = (
            f"{matched} line(s) matched, but never {rule.min_count} readings for one key "
            f"within {rule.window_s} s averaging {rule.op} {rule.bound:g}"
        )
    return RuleReplay(
        rule_id=rule.id,
        looked_at=f"{len(events)} lines replayed, {matched} matched",
        why_not=why,
        firings=replay([rule], events),
        counts={"lines": len(events), "selected": len(selected), "matched": matched},
    )


def _replay_readings(
    session: Session, rule: ThresholdRule | AnomalyRule, since_ms: int, until_ms: int
) -> RuleReplay:
    history_s = rule.window_s if isinstance(rule, AnomalyRule) else rule.for_s
    windows = telemetry.metric_windows(
        session=session,
        metric=rule.metric,
        since_ms=since_ms - history_s * 1000,
        until_ms=until_ms,
        max_points=REPLAY_POINTS,
    )
    firings: list[Firing] = []
    readings = 0
    for device_id, device_type, points in windows:
        readings += len(points)
        firings += replay_telemetry(
            rule,
            device_id=device_id,
            device_type=device_type,
            points=points,
            since_ms=since_ms,
            until_ms=until_ms,
        )
    firings.sort(key=lambda f: f.ts_ms)
    if not windows:
        why = f"no device has readings of {rule.metric!r} in that time"
    elif isinstance(rule, ThresholdRule):
        why = f"no reading stayed {rule.op} {rule.value:g} for {rule.for_s} s" + (
            f" on a {rule.device_type}" if rule.device_type else ""
        )
    else:
        why = (
            f"no reading lay more than {rule.z:g} robust deviations from the {rule.window_s} s "
            f"before it (with at least {rule.min_count} readings there)"
        )
    return RuleReplay(
        rule_id=rule.id,
        looked_at=f"{readings} readings of {rule.metric} from {len(windows)} device(s)",
        why_not=why,
        firings=firings,
        counts={"devices": len(windows), "readings": readings},
    )
