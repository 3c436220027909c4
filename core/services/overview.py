"""The one-glance summary both consoles show in their header or overview page: the
gateway, whether the daemon runs (and whether it really enforces), the fleet by status,
open findings by severity and the live intents by verdict.

Every count is one ``GROUP BY`` over an indexed column, so a console may ask for it on
every change it hears of. The ingest rate is not stored anywhere: a console keeps the last
two overviews and calls ``ingest_rate`` on them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, func, select

from core.models import Device, Finding, FindingStatus, IntentRecord, IntentStatus
from core.models.finding import SEVERITIES
from core.services import runtime
from core.services.ingest import load_counters

LIVE_INTENTS = (IntentStatus.APPLYING, IntentStatus.ACTIVE, IntentStatus.SCHEDULED)


class BrokerState(SQLModel):
    url: str
    connected: bool


class DaemonState(SQLModel):
    """What the agent's last heartbeat says about it."""

    running: bool
    """A heartbeat younger than ``runtime.STALE_AFTER``."""
    ever_ran: bool
    pid: int | None = None
    last_heartbeat: str | None = None
    brokers: list[BrokerState] = []
    queue_depth: int = 0
    log_queue_depth: int = 0
    enforcement: dict[str, str] = {}
    """Each backend's mode (``tc``/``nft`` → ``kernel`` or ``dry-run``) as the reconciler
    last ran; empty before its first pass."""
    dry_run_reasons: list[str] = []

    @property
    def label(self) -> str:
        """``running``, ``running (dry run)``, ``not running`` or ``never ran``."""
        if not self.ever_ran:
            return "never ran"
        if not self.running:
            return "not running"
        return "running (dry run)" if self.dry_run else "running"

    @property
    def dry_run(self) -> bool:
        return bool(self.dry_run_reasons) or "dry-run" in self.enforcement.values()

    @property
    def brokers_up(self) -> int:
        return sum(1 for broker in self.brokers if broker.connected)


class Overview(SQLModel):
    gateway: str
    at: datetime
    daemon: DaemonState
    devices_by_status: dict[str, int]
    findings_by_severity: dict[str, int]
    """Open (not acknowledged, not resolved) findings, every severity present, worst first."""
    intents_by_verdict: dict[str, int]
    """Live intents by their last verdict; ``unchecked`` before the first check."""
    received: int
    """Messages received by the pipeline since the database was created."""

    @property
    def devices(self) -> int:
        return sum(self.devices_by_status.values())

    @property
    def open_findings(self) -> int:
        return sum(self.findings_by_severity.values())


def overview(*, session: Session, now: datetime, gateway: str) -> Overview:
    by_status = session.exec(select(Device.status, func.count()).group_by(col(Device.status)))
    by_severity = dict(
        session.exec(
            select(Finding.severity, func.count())
            .where(Finding.status == FindingStatus.OPEN)
            .group_by(col(Finding.severity))
        ).all()
    )
    by_verdict = session.exec(
        select(IntentRecord.verdict, func.count())
        .where(col(IntentRecord.status).in_(LIVE_INTENTS))
        .group_by(col(IntentRecord.verdict))
    )
    return Overview(
        gateway=gateway,
        at=now,
        daemon=daemon_state(runtime.get_state(session=session, key=runtime.AGENT_KEY, now=now)),
        devices_by_status={str(status): count for status, count in by_status},
        findings_by_severity={
            severity: by_severity.get(severity, 0) for severity in reversed(SEVERITIES)
        },
        intents_by_verdict={str(verdict or "unchecked"): count for verdict, count in by_verdict},
        received=int(load_counters(session=session).get("received", 0)),
    )


def daemon_state(heartbeat: dict[str, Any] | None) -> DaemonState:
    if heartbeat is None:
        return DaemonState(running=False, ever_ran=False)
    return DaemonState(
        running=bool(heartbeat.get("running")),
        ever_ran=True,
        pid=heartbeat.get("pid"),
        last_heartbeat=heartbeat.get("updated_at"),
        brokers=[
            BrokerState(url=str(b.get("url")), connected=bool(b.get("connected")))
            for b in heartbeat.get("brokers") or []
        ],
        queue_depth=int(heartbeat.get("queue_depth") or 0),
        log_queue_depth=int(heartbeat.get("log_queue_depth") or 0),
        enforcement=dict(heartbeat.get("enforcement") or {}),
        dry_run_reasons=list(heartbeat.get("dry_run") or []),
    )


def ingest_rate(previous: Overview | None, current: Overview) -> float | None:
    """Messages per second received between two overviews (None until there are two)."""
    if previous is None:
        return None
    seconds = (current.at - previous.at).total_seconds()
    if seconds <= 0:
        return None
    return max(0, current.received - previous.received) / seconds
