"""Running the rules against what the pipeline stores: log lines through the streaming
pattern engine, device liveness through the absence rules. Findings come out through
``core.services.findings``; conditions that clear resolve theirs."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlmodel import select

from core.clock import Clock, to_ms
from core.db import Database
from core.models import Device
from core.rules import (
    AbsenceRule,
    AnomalyRule,
    AverageRule,
    Firing,
    LogEvent,
    PatternEngine,
    PatternRule,
    Rule,
    ThresholdRule,
    evaluate_absence,
    evaluate_anomaly,
    evaluate_threshold,
)
from core.services import findings, logs, maintenance, telemetry

log = logging.getLogger(__name__)

BATCH = 5000


def finding_in(firing: Firing) -> findings.FindingIn:
    return findings.FindingIn(
        rule_id=firing.rule_id,
        severity=str(firing.severity),
        key=firing.key,
        device_id=firing.device_id,
        ts_ms=firing.ts_ms,
        count=firing.count,
        evidence=list(firing.evidence),
        summary=firing.summary,
        details=firing.details,
    )


class RuleRunner:
    """Follows the log table from where it started (history is for ``warden rules test``)
    and evaluates the point-in-time rules on each run. One instance per agent; runs are
    never concurrent (the scheduler's max_instances=1)."""

    def __init__(self, db: Database, rules: Sequence[Rule], clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self.rules = list(rules)
        self._engine = PatternEngine(
            [r for r in self.rules if isinstance(r, PatternRule | AverageRule)]
        )
        self._absence = [r for r in self.rules if isinstance(r, AbsenceRule) and r.enabled]
        self._telemetry = [
            r for r in self.rules if isinstance(r, ThresholdRule | AnomalyRule) and r.enabled
        ]
        with db.reader() as session:
            self.last_log_id = logs.last_log_id(session=session)

    def run(self) -> int:
        """One pass over logs and liveness; returns how many firings it recorded."""
        return self._run_log_rules() + self._run_absence()

    def run_telemetry(self) -> int:
        """Threshold and anomaly rules over each device's recent readings of their metric.
        A threshold that no longer holds resolves its finding."""
        now_ms = to_ms(self._clock.now())
        fired: list[Firing] = []
        cleared: list[tuple[str, str]] = []
        for rule in self._telemetry:
            span_s = rule.window_s if isinstance(rule, AnomalyRule) else rule.for_s + 3600
            with self._db.reader() as session:
                windows = telemetry.metric_windows(
                    session=session,
                    metric=rule.metric,
                    since_ms=now_ms - span_s * 1000,
                    until_ms=now_ms + 1,
                )
            for device_id, device_type, points in windows:
                evaluate = evaluate_anomaly if isinstance(rule, AnomalyRule) else evaluate_threshold
                firing = evaluate(
                    rule,
                    device_id=device_id,
                    points=points,  # type: ignore[arg-type]
                    now_ms=now_ms,
                    device_type=device_type,
                )
                if firing is not None:
                    fired.append(firing)
                elif isinstance(rule, ThresholdRule):
                    cleared.append((rule.id, device_id))
        recorded = self._record(fired, dedupe_open=True)
        with self._db.writer() as session:
            for rule_id, key in cleared:
                findings.resolve_cleared(
                    session=session, rule_id=rule_id, key=key, now=self._clock.now()
                )
        return recorded

    def _run_log_rules(self) -> int:
        fired: list[Firing] = []
        while True:
            with self._db.reader() as session:
                lines = logs.logs_after(session=session, after_id=self.last_log_id, limit=BATCH)
            for line in lines:
                fired += self._engine.feed(
                    LogEvent(
                        ts_ms=line.ts,
                        id=line.id,
                        host=line.host,
                        app=line.app,
                        log_class=line.log_class,
                        message=line.message,
                        device_id=line.device_id,
                        source_ip=line.source_ip,
                    )
                )
            if lines:
                self.last_log_id = lines[-1].id
            if len(lines) < BATCH:
                break
        return self._record(fired)

    def _run_absence(self) -> int:
        if not self._absence:
            return 0
        now_ms = to_ms(self._clock.now())
        with self._db.reader() as session:
            fleet = [
                (d.id, d.type, str(d.status), d.last_seen) for d in session.exec(select(Device))
            ]
        fired: list[Firing] = []
        cleared: list[tuple[str, str]] = []
        for rule in self._absence:
            for device_id, device_type, status, last_seen in fleet:
                firing = evaluate_absence(
                    rule,
                    device_id=device_id,
                    device_type=device_type,
                    status=status,
                    last_seen_ms=to_ms(last_seen) if last_seen else None,
                    now_ms=now_ms,
                )
                if firing is not None:
                    fired.append(firing)
                elif status == "online":
                    cleared.append((rule.id, device_id))
        recorded = self._record(fired, dedupe_open=True)
        with self._db.writer() as session:
            for rule_id, key in cleared:
                findings.resolve_cleared(
                    session=session, rule_id=rule_id, key=key, now=self._clock.now()
                )
        return recorded

    def _record(self, fired: list[Firing], *, dedupe_open: bool = False) -> int:
        """Raise findings for the firings; returns how many were recorded."""
        if not fired:
            return 0
        recorded = 0
        now = self._clock.now()
        with self._db.writer() as session:
            windows = maintenance.active_windows(session=session, now=now)
            for firing in fired:
                if dedupe_open and findings.is_open(
                    session=session, rule_id=firing.rule_id, key=firing.key
                ):
                    continue  # still offline: the open finding already says so
                suppressed = maintenance.covers(
                    session=session, windows=windows, device_id=firing.device_id
                )
                findings.raise_finding(
                    session=session, firing=finding_in(firing), now=now, suppressed=suppressed
                )
                recorded += 1
        return recorded
