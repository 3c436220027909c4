"""Prometheus metrics, read from the database at scrape time (``/metrics`` of
``web.api.ops``).

``WardenCollector`` answers each scrape with a few cheap queries (grouped counts over
indexed columns, a handful of settings rows), so the values are fresh and the same from
every process (``warden web`` has no agent of its own). ``AppMetrics`` is one registry per
app, never the global default, with the few measurements only a process can make.

Commit latency is one histogram, ``warden_ingest_commit_seconds{source}``: ``http`` is
measured by this process's HTTP ingest (``core.pipeline.http_ingest``); ``mqtt`` by the
agent's writer, read from the agent's state (the in-process agent under ``warden serve``,
else its heartbeat), the way the reconciler's apply latency is. Both are
``core.timings.Timings``, counted since their process started.

Cumulative ingest counts come from what the pipeline persists with every committed batch:
``ingest.counters`` (the MQTT writer) and ``ingest.http.counters`` (HTTP ingest).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, func, select

from core.clock import Clock, to_ms
from core.db import Database
from core.models import (
    ChangeLog,
    Device,
    Finding,
    FindingStatus,
    IntentRecord,
    IntentStatus,
)
from core.models.enforcement import EnforcementStatePublic
from core.models.sink import SinkState
from core.pipeline.writer import COMMIT_SECONDS
from core.services import enforcement_state, mirror, runtime
from core.services.ingest import HTTP_COUNTERS_KEY, load_counters
from core.timings import COMMIT_BUCKETS, Timings

log = logging.getLogger(__name__)

LOGIN_FAILED = "auth.login_failed"
LIVE_INTENTS = [str(s) for s in IntentStatus if s.live]
AgentState = Callable[[], dict[str, Any] | None]
"""The in-process agent's state (``Agent.state``), or None: then its heartbeat is read."""


class WardenCollector:
    """A custom collector: every value is read when Prometheus scrapes."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        agent_state: AgentState | None = None,
        http_commits: Timings | None = None,
    ):
        self._db = db
        self._clock = clock
        self._agent_state = agent_state
        self._http_commits = http_commits

    def describe(self) -> list[Metric]:
        return []  # nothing to check at registration: families are known at scrape time

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("warden_database_up", "1 when the database answered this scrape.")
        try:
            with self._db.reader() as session:
                state = self._state(session)
                families = list(self._families(session, state))
        except SQLAlchemyError as exc:
            log.warning("metrics: database unreachable: %s", exc)
            up.add_metric([], 0)
            yield up
            # What this process measured needs no database.
            yield self._commits(self._agent_state() if self._agent_state is not None else None)
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _state(self, session: Session) -> dict[str, Any] | None:
        """The agent's state: asked directly when it runs in this process, else its
        heartbeat (with ``running`` telling whether that is fresh)."""
        if self._agent_state is not None:
            state = self._agent_state()
            if state is not None:
                return {**state, "running": True}
        return runtime.get_state(session=session, key=runtime.AGENT_KEY, now=self._clock.now())

    def _commits(self, state: dict[str, Any] | None) -> Metric:
        commits = HistogramMetricFamily(
            "warden_ingest_commit_seconds",
            "Time to judge and commit ingested messages, by source (mqtt: one batch of the "
            "agent's writer, since the agent started; http: one request to this process), "
            "in seconds.",
            labels=["source"],
        )
        by_source = {
            "mqtt": (state or {}).get(COMMIT_SECONDS),
            "http": self._http_commits.snapshot() if self._http_commits is not None else None,
        }
        for source, timings in by_source.items():
            if timings:
                buckets = [(le, float(n)) for le, n in timings["buckets"].items()]
                commits.add_metric(
                    [source], [*buckets, ("+Inf", float(timings["count"]))], timings["sum"]
                )
        return commits

    def _families(self, session: Session, state: dict[str, Any] | None) -> Iterator[Metric]:
        yield from _ingest(
            {
                "mqtt": load_counters(session=session),
                "http": load_counters(session=session, key=HTTP_COUNTERS_KEY),
            }
        )
        yield self._commits(state)
        yield from self._agent(state)
        yield _grouped(
            session,
            "warden_devices",
            "Devices by status.",
            "status",
            select(Device.status, func.count()).group_by(col(Device.status)),
        )
        yield _grouped(
            session,
            "warden_findings_open",
            "Open findings by severity.",
            "severity",
            select(Finding.severity, func.count())
            .where(Finding.status == FindingStatus.OPEN)
            .group_by(col(Finding.severity)),
        )
        ratio = GaugeMetricFamily(
            "warden_intent_satisfaction_ratio",
            "Share of a live intent's verification checks that found it satisfied.",
            labels=["intent", "kind"],
        )
        live = session.exec(
            select(
                IntentRecord.id,
                IntentRecord.kind,
                IntentRecord.checks_satisfied,
                IntentRecord.checks,
            ).where(col(IntentRecord.status).in_(LIVE_INTENTS), col(IntentRecord.checks) > 0)
        )
        for intent_id, kind, satisfied, checks in live:
            ratio.add_metric([str(intent_id), kind], satisfied / checks)
        yield ratio
        yield from _enforcement(enforcement_state.read(session=session, now=self._clock.now()))
        yield from _sinks(mirror.sink_states(session=session), to_ms(self._clock.now()))
        failures = session.exec(
            select(func.count()).select_from(ChangeLog).where(ChangeLog.kind == LOGIN_FAILED)
        ).one()
        login = CounterMetricFamily(
            "warden_login_failures", "Failed logins recorded in the audit log."
        )
        login.add_metric([], failures)
        yield login

    def _agent(self, state: dict[str, Any] | None) -> Iterator[Metric]:
        running = bool(state and state.get("running"))
        agent = GaugeMetricFamily(
            "warden_agent_running", "1 when the agent is running (fresh heartbeat)."
        )
        agent.add_metric([], int(running))
        yield agent
        if not state:
            return
        queue = GaugeMetricFamily(
            "warden_ingest_queue_depth",
            "Messages waiting for the writer, by queue.",
            labels=["queue"],
        )
        queue.add_metric(["telemetry"], state.get("queue_depth") or 0)
        queue.add_metric(["logs"], state.get("log_queue_depth") or 0)
        yield queue
        brokers = GaugeMetricFamily(
            "warden_broker_connected",
            "1 when the collector is connected to the broker.",
            labels=["url"],
        )
        for broker in state.get("brokers") or []:
            brokers.add_metric([str(broker.get("url"))], int(bool(broker.get("connected"))))
        yield brokers
        yield from _syslog(state.get("syslog"))


def _sinks(states: list[SinkState], now_ms: int) -> Iterator[Metric]:
    """The long-term sinks as they last published themselves (``core.services.mirror``)."""
    if not states:
        return
    pending = GaugeMetricFamily(
        "warden_sink_pending", "Batches waiting in a sink's outbox.", labels=["sink"]
    )
    lag = GaugeMetricFamily(
        "warden_sink_lag_seconds", "Age of the oldest batch a sink has not sent.", labels=["sink"]
    )
    last = GaugeMetricFamily(
        "warden_sink_last_success_timestamp_seconds",
        "When a sink last delivered (epoch seconds; absent before the first success).",
        labels=["sink"],
    )
    failing = GaugeMetricFamily(
        "warden_sink_failing_seconds",
        "How long every attempt of a sink has failed (0 when it works).",
        labels=["sink"],
    )
    errors = CounterMetricFamily(
        "warden_sink_errors", "A sink's failed attempts, by kind.", labels=["sink", "kind"]
    )
    for state in states:
        pending.add_metric([state.name], state.pending)
        lag.add_metric([state.name], state.lag_s)
        if state.last_success_ms is not None:
            last.add_metric([state.name], state.last_success_ms / 1000)
        failing.add_metric([state.name], state.failing_for_s(now_ms))
        for kind, count in state.errors.items():
            errors.add_metric([state.name, kind], count)
    yield from (pending, lag, last, failing, errors)


def _syslog(syslog: dict[str, Any] | None) -> Iterator[Metric]:
    """The syslog collector's connections and what it refused (the agent's heartbeat)."""
    if not syslog:
        return
    connections = GaugeMetricFamily(
        "warden_syslog_connections", "Open TCP syslog connections, and the cap.", labels=["kind"]
    )
    connections.add_metric(["open"], syslog.get("connections") or 0)
    connections.add_metric(["max"], syslog.get("max_connections") or 0)
    closed = CounterMetricFamily(
        "warden_syslog_connections_closed",
        "TCP syslog connections Warden closed: shed to make room over a cap, or idle too long.",
        labels=["reason"],
    )
    closed.add_metric(["shed"], syslog.get("connections_shed") or 0)
    closed.add_metric(["idle"], syslog.get("connections_idle_closed") or 0)
    dropped = CounterMetricFamily(
        "warden_syslog_lines_dropped",
        "Syslog lines not stored: over their sender's rate limit.",
        labels=["reason"],
    )
    dropped.add_metric(["rate_limited"], syslog.get("rate_limited") or 0)
    cut = CounterMetricFamily(
        "warden_syslog_frames_cut", "Syslog messages cut at the frame limit (stored truncated)."
    )
    cut.add_metric([], syslog.get("frames_cut") or 0)
    yield from (connections, closed, dropped, cut)


def _ingest(by_source: dict[str, dict[str, Any]]) -> Iterator[Metric]:
    messages = CounterMetricFamily(
        "warden_ingest_messages",
        "Device messages by source and result (stored, duplicate, dead_letter).",
        labels=["source", "result"],
    )
    measurements = CounterMetricFamily(
        "warden_ingest_measurements", "Measurements stored, by source.", labels=["source"]
    )
    dead = CounterMetricFamily(
        "warden_dead_letters",
        "Rejected messages by source and reason.",
        labels=["source", "reason"],
    )
    batches = CounterMetricFamily(
        "warden_ingest_batches", "Committed batches, by source.", labels=["source"]
    )
    failures = CounterMetricFamily(
        "warden_ingest_commit_failures",
        "Failed (and retried) commits, by source.",
        labels=["source"],
    )
    for source, counts in by_source.items():
        reasons = counts.get("dead_letters") or {}
        messages.add_metric([source, "stored"], counts.get("stored_messages", 0))
        messages.add_metric([source, "duplicate"], counts.get("duplicates", 0))
        messages.add_metric([source, "dead_letter"], sum(reasons.values()))
        measurements.add_metric([source], counts.get("stored_measurements", 0))
        batches.add_metric([source], counts.get("batches", 0))
        failures.add_metric([source], counts.get("commit_failures", 0))
        for reason, count in sorted(reasons.items()):
            dead.add_metric([source, reason], count)
    yield from (messages, measurements, dead, batches, failures)


def _grouped(session: Session, name: str, doc: str, label: str, query: Any) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=[label])
    for key, count in session.exec(query):
        family.add_metric([str(key)], count)
    return family


def _enforcement(state: EnforcementStatePublic | None) -> Iterator[Metric]:
    repairs = GaugeMetricFamily(
        "warden_enforcement_drift_repairs",
        "Kernel objects the last reconcile pass found drifted and repaired.",
    )
    failed = GaugeMetricFamily(
        "warden_enforcement_failed_policies", "Policies the last reconcile pass could not apply."
    )
    repairs.add_metric([], len(state.repaired) if state else 0)
    failed.add_metric([], len(state.failed) if state else 0)
    yield repairs
    yield failed
    repairs_total = CounterMetricFamily(
        "warden_enforcement_drift_repairs_since_start",
        "Drifted kernel objects repaired since the agent started (restores after a start "
        "are not drift).",
    )
    repairs_total.add_metric([], state.repairs_total if state else 0)
    yield repairs_total
    if state:
        timings = state.apply_seconds
        apply = HistogramMetricFamily(
            "warden_enforcement_apply_seconds",
            "Time to apply one reconcile pass's plan to tc and nftables, since the agent started.",
        )
        buckets = [(le, float(n)) for le, n in timings.buckets.items()]
        apply.add_metric([], [*buckets, ("+Inf", float(timings.count))], timings.sum)
        yield apply


class AppMetrics:
    """One app's registry: the database collector plus what this process measures."""

    def __init__(self, db: Database, clock: Clock, *, agent_state: AgentState | None = None):
        self.http_commit_seconds = Timings(COMMIT_BUCKETS)
        """Observed by this app's HTTP ingest (``core.pipeline.http_ingest``)."""
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(
            WardenCollector(
                db, clock, agent_state=agent_state, http_commits=self.http_commit_seconds
            )
        )
