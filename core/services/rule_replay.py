"""Replaying stored history through a rule: "would it have fired, and why not?", and trying
one line against it: "does it count this, and if not, which of its wordings came closest?".
The one implementation behind ``warden rules test`` and the web console's "test against the
last 24 h" (the rule as stored now, edits included, enabled or not)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlmodel import Session

from core.errors import InvalidInput
from core.rules import (
    AnomalyRule,
    AverageRule,
    Firing,
    LogEvent,
    PatternEngine,
    PatternRule,
    ThresholdRule,
    replay,
    replay_telemetry,
)
from core.rules.explain import Explainer, NearestMiss
from core.services import logs as log_service
from core.services import telemetry
from core.services.logs import log_event
from core.services.rules import RULES
from core.syslog import classify, parse_syslog

REPLAY_LIMIT = 200_000
"""Log lines replayed at most (the newest)."""
REPLAY_POINTS = 50_000
"""Readings per device replayed at most (the newest)."""
NEAREST_LINES = 500
"""When no line matched, the newest this many lines that passed the restrictions are
searched for the one nearest to a wording of the regex."""


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
    nearest_line: str | None = None
    """When lines passed the restrictions but none matched: the one that came closest."""
    nearest: NearestMiss | None = None
    """How that line misses the nearest wording of the rule's regex."""


@dataclass(frozen=True)
class LineCheck:
    """One line tried against a log rule (``warden rules test RULE --line …``)."""

    rule_id: str
    message: str
    app: str | None
    host: str | None
    log_class: str
    refused_by: str | None
    """Why the rule does not look at this line at all (class, app or host), or None."""
    matched: bool
    key: str | None = None
    captures: dict[str, str] = field(default_factory=dict)
    nearest: NearestMiss | None = None

    def explanation(self) -> str:
        if self.refused_by is not None:
            return self.refused_by
        if self.matched:
            return f"it counts this line under key {self.key}"
        assert self.nearest is not None
        return f"it does not match: {self.nearest.describe()}"


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
        counted = (
            f"{rule.threshold} different {rule.distinct} values"
            if rule.distinct
            else f"{rule.threshold} changes of {rule.changes}"
            if rule.changes
            else str(rule.threshold)
        )
        why = (
            f"{matched} line(s) matched, but never {counted} for one key "
            f"({rule.key}) within {rule.window_s} s"
        )
    else:
        why = (
            f"{matched} line(s) matched, but never {rule.min_count} readings for one key "
            f"within {rule.window_s} s averaging {rule.op} {rule.bound:g}"
        )
    nearest_line, nearest = None, None
    if selected and not matched:
        explainer = Explainer(rule.regex)
        scored = [(explainer.score(e.message), e.message) for e in selected[-NEAREST_LINES:]]
        (_, nearest), nearest_line = max(scored, key=lambda item: item[0][0])
    return RuleReplay(
        rule_id=rule.id,
        looked_at=f"{len(events)} lines replayed, {matched} matched",
        why_not=why,
        firings=replay([rule], events),
        counts={"lines": len(events), "selected": len(selected), "matched": matched},
        nearest_line=nearest_line,
        nearest=nearest,
    )


def check_line(
    *,
    session: Session,
    rule_id: str,
    line: str,
    app: str | None = None,
    host: str | None = None,
    received_ms: int,
) -> LineCheck:
    """Try one line against a stored log rule. ``line`` is a whole syslog line when it
    starts with ``<PRI>`` (its header gives the app and host), else the message of ``app``
    on ``host``. ``InvalidInput`` for a rule that does not read log lines."""
    rule = RULES.get(session=session, entry_id=rule_id).model_copy(update={"enabled": True})
    if not isinstance(rule, PatternRule | AverageRule):
        raise InvalidInput(f"{rule_id} is a {rule.kind} rule: it does not read log lines")
    if line.startswith("<"):
        record = parse_syslog(line.encode(), received_ms=received_ms)
        event = LogEvent.from_record(record, id=None)
    else:
        event = LogEvent(received_ms, None, host, app, str(classify(app, line)), line)
    base = {
        "rule_id": rule.id,
        "message": event.message,
        "app": event.app,
        "host": event.host,
        "log_class": event.log_class,
    }
    refused = _refusal(rule, event)
    if refused is not None:
        return LineCheck(**base, refused_by=refused, matched=False)
    if re.search(rule.regex, event.message) is None:
        nearest = Explainer(rule.regex).nearest(event.message)
        return LineCheck(**base, refused_by=None, matched=False, nearest=nearest)
    once = (
        rule.model_copy(update={"threshold": 1, "cooldown_s": 0})
        if isinstance(rule, PatternRule)
        else rule.model_copy(update={"min_count": 1, "op": "<", "bound": float("inf")})
    )
    [firing] = PatternEngine([once]).feed(event)
    captures = {
        k: str(v)
        for k, v in firing.details["captures"].items()
        if k in re.compile(rule.regex).groupindex
    }
    return LineCheck(**base, refused_by=None, matched=True, key=firing.key, captures=captures)


def _refusal(rule: PatternRule | AverageRule, event: LogEvent) -> str | None:
    if rule.classes is not None and event.log_class not in rule.classes:
        return (
            f"the rule reads {', '.join(rule.classes)} lines; this one is sorted as "
            f"{event.log_class} (from {event.app or 'an untagged program'})"
        )
    if rule.apps is not None and (event.app or "").lower() not in rule.apps:
        return f"the rule reads lines of {', '.join(rule.apps)} only; this one is from {event.app}"
    if rule.hosts is not None and event.host not in rule.hosts:
        hosts = ", ".join(rule.hosts)
        return f"the rule reads lines of hosts {hosts} only; this one is from {event.host}"
    return None


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
