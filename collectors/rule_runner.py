"""Running the rules against what the pipeline stores: log lines through the streaming
pattern engine; liveness, telemetry, sequence gaps and Warden's own health through the
point-in-time rules. Findings come out through ``core.services.findings``; conditions that
clear resolve theirs. The agent schedules ``run`` and ``run_checks``; the rules themselves
and the services they write through are core's.

The rules are the stored ones (``core.services.rules``) unless a list is given; the runner
picks up an enable, disable or edit from any front end on its next pass. Reloading resets
the pattern engine's counting state, which errs on the side of firing later, not twice.

Longer than most modules (~330 lines) on purpose: one runner holds every rule kind, so a
pass reloads the stored rules once and every firing is recorded and cleared in one place;
each kind's judgement is a pure evaluator in ``core.rules``, and the loss bookkeeping is in
``collectors.loss_history``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from sqlalchemy import func
from sqlmodel import col, select

from collectors.loss_history import (
    FLEET_GAP_MIN_DEVICES,
    FLEET_GAP_WINDOW_S,
    MissingHistory,
)
from core.clock import Clock, to_ms
from core.db import Database
from core.models import DeadLetter, Device, DeviceSeq
from core.protocol import SeqState
from core.rules import (
    AbsenceRule,
    AnomalyRule,
    AverageRule,
    Firing,
    PatternEngine,
    PatternRule,
    Rule,
    SeqGapRule,
    SeqSuspectRule,
    SystemRule,
    ThresholdRule,
    evaluate_absence,
    evaluate_anomaly,
    evaluate_seq_gap,
    evaluate_seq_suspect,
    evaluate_system,
    evaluate_threshold,
)
from core.services import findings, logs, maintenance, telemetry
from core.services.rules import RULES

log = logging.getLogger(__name__)

BATCH = 5000
DEAD_LETTER_SPAN_S = 300
"""``dead_letter_rate`` is dead letters per minute over this span."""

Measures = Callable[[], Mapping[str, float]]


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

    def __init__(
        self,
        db: Database,
        rules: Sequence[Rule] | None,
        clock: Clock,
        *,
        measures: Measures | None = None,
    ) -> None:
        """``rules``: a fixed list, or ``None`` to run the stored rules. ``measures`` gives
        the system rules what only the process knows (disk space, queue backlog); the
        dead-letter rate the runner reads itself."""
        self._db = db
        self._clock = clock
        self._fixed = rules is not None
        self._version: object = None
        self._measures = measures or dict
        self._missing = MissingHistory()
        self.fleet_gap_pct = 0.0
        """Share of the devices heard from lately that lost messages in the last
        ``FLEET_GAP_WINDOW_S`` (0 below ``FLEET_GAP_MIN_DEVICES``)."""
        self._held = MissingHistory()
        """The same bookkeeping over messages held as suspect (``SeqState.suspects``)."""
        self._use(list(rules) if rules is not None else [])
        self._refresh()
        with db.reader() as session:
            self.last_log_id = logs.last_log_id(session=session)

    def _use(self, rules: list[Rule]) -> None:
        self.rules = rules
        enabled = [r for r in rules if r.enabled]
        self._engine = PatternEngine(
            [r for r in enabled if isinstance(r, PatternRule | AverageRule)]
        )
        self._absence = [r for r in enabled if isinstance(r, AbsenceRule)]
        self._telemetry = [r for r in enabled if isinstance(r, ThresholdRule | AnomalyRule)]
        self._seq_gap = [r for r in enabled if isinstance(r, SeqGapRule)]
        self._seq_suspect = [r for r in enabled if isinstance(r, SeqSuspectRule)]
        self._system = [r for r in enabled if isinstance(r, SystemRule)]

    def _refresh(self) -> None:
        """Reload the stored rules when any was added, edited, enabled or disabled."""
        if self._fixed:
            return
        with self._db.reader() as session:
            version = RULES.version(session=session)
            if version != self._version:
                self._use(RULES.loaded(session=session))
                self._version = version
                log.info("rules loaded: %d enabled", sum(r.enabled for r in self.rules))

    def run(self) -> int:
        """One pass over logs and liveness; returns how many firings it recorded."""
        self._refresh()
        return self._run_log_rules() + self._run_absence()

    def run_checks(self) -> int:
        """The slower pass: telemetry, sequence gaps and Warden's own health."""
        self._refresh()
        return (
            self.run_telemetry() + self.run_seq_gaps() + self.run_seq_suspects() + self.run_system()
        )

    def run_seq_gaps(self) -> int:
        """Sequence-gap rules over the pipeline's per-device ``missing`` totals; also the
        share of the fleet that lost messages lately (``fleet_gap_pct``, for the system
        rules: many devices at once is the broker dropping messages, not one bad link)."""
        now = self._clock.now()
        now_ms = to_ms(now)
        recent = now - timedelta(seconds=FLEET_GAP_WINDOW_S)
        with self._db.reader() as session:
            totals = [
                (s.device_id, s.missing, s.updated_at >= recent)
                for s in session.exec(select(DeviceSeq))
            ]
        window_s = max([FLEET_GAP_WINDOW_S, *(r.window_s for r in self._seq_gap)])
        for device_id, missing_total, _ in totals:
            self._missing.observe(device_id, missing_total, now_ms, window_s)
        active = [device_id for device_id, _, fresh in totals if fresh]
        losing = [d for d in active if self._missing.lost_within(d, now_ms, FLEET_GAP_WINDOW_S) > 0]
        self.fleet_gap_pct = (
            100 * len(losing) / len(active) if len(active) >= FLEET_GAP_MIN_DEVICES else 0.0
        )
        if not self._seq_gap:
            return 0
        fired: list[Firing] = []
        cleared: list[tuple[str, str]] = []
        for device_id, _, _ in totals:
            for rule in self._seq_gap:
                lost = self._missing.lost_within(device_id, now_ms, rule.window_s)
                firing = evaluate_seq_gap(
                    rule, device_id=device_id, missing_in_window=lost, now_ms=now_ms
                )
                if firing is not None:
                    fired.append(firing)
                elif lost == 0:
                    cleared.append((rule.id, device_id))
        return self._record(fired, dedupe_open=True) + self._clear(cleared)

    def run_seq_suspects(self) -> int:
        """Suspect-sequence rules over the pipeline's per-device count of held messages;
        like sequence gaps, counted from the runner's first look at each device."""
        if not self._seq_suspect:
            return 0
        now_ms = to_ms(self._clock.now())
        with self._db.reader() as session:
            totals = [
                (s.device_id, SeqState.from_json(s.state).suspects)
                for s in session.exec(select(DeviceSeq))
            ]
        window_s = max(r.window_s for r in self._seq_suspect)
        fired: list[Firing] = []
        cleared: list[tuple[str, str]] = []
        for device_id, held_total in totals:
            self._held.observe(device_id, held_total, now_ms, window_s)
            for rule in self._seq_suspect:
                held = self._held.lost_within(device_id, now_ms, rule.window_s)
                firing = evaluate_seq_suspect(
                    rule, device_id=device_id, held_in_window=held, now_ms=now_ms
                )
                if firing is not None:
                    fired.append(firing)
                elif held == 0:
                    cleared.append((rule.id, device_id))
        return self._record(fired, dedupe_open=True) + self._clear(cleared)

    def run_system(self) -> int:
        """System rules over Warden's own measures; a measure back in bounds resolves."""
        if not self._system:
            return 0
        now = self._clock.now()
        measures = {
            **self._measures(),
            "dead_letter_rate": self._dead_letter_rate(),
            "fleet_gap_pct": self.fleet_gap_pct,
        }
        fired: list[Firing] = []
        cleared: list[tuple[str, str]] = []
        for rule in self._system:
            firing = evaluate_system(rule, measures=measures, now_ms=to_ms(now))
            if firing is not None:
                fired.append(firing)
            elif rule.check in measures:
                cleared.append((rule.id, rule.check))
        return self._record(fired, dedupe_open=True) + self._clear(cleared)

    def _dead_letter_rate(self) -> float:
        since = self._clock.now() - timedelta(seconds=DEAD_LETTER_SPAN_S)
        with self._db.reader() as session:
            count = session.exec(
                select(func.count()).where(col(DeadLetter.received_at) >= since)
            ).one()
        return count / (DEAD_LETTER_SPAN_S / 60)

    def _clear(self, cleared: list[tuple[str, str]]) -> int:
        """Resolve the findings of conditions that no longer hold; returns 0 (nothing fired)."""
        if cleared:
            with self._db.writer() as session:
                for rule_id, key in cleared:
                    findings.resolve_cleared(
                        session=session, rule_id=rule_id, key=key, now=self._clock.now()
                    )
        return 0

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
        return self._record(fired, dedupe_open=True) + self._clear(cleared)

    def _run_log_rules(self) -> int:
        fired: list[Firing] = []
        while True:
            with self._db.reader() as session:
                lines = logs.logs_after(session=session, after_id=self.last_log_id, limit=BATCH)
            for line in lines:
                fired += self._engine.feed(logs.log_event(line))
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
        return self._record(fired, dedupe_open=True) + self._clear(cleared)

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
