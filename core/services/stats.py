"""Counts an operator asks for first: how big is the fleet, how much is stored, what was
rejected."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, func, select

from core.models import DeadLetter, Device, Reading, Series, SinkState
from core.services import mirror, runtime
from core.services.changes import last_change_id
from core.services.ingest import load_counters


class StoreStats(SQLModel):
    devices: int
    devices_by_status: dict[str, int]
    series: int
    readings: int
    dead_letters: int
    dead_letters_by_reason: dict[str, int]
    last_change_id: int
    ingest: dict[str, Any]
    """The pipeline's cumulative counters, persisted with every committed batch."""
    agent: dict[str, Any] | None
    """The running agent's last heartbeat (brokers, queue depth), if any."""
    sinks: list[SinkState] = []
    """The long-term sinks as they last published themselves (none configured: empty)."""


def store_stats(*, session: Session, now: datetime) -> StoreStats:
    """What the database holds. Counting readings scans the table: about half a second
    for 10 million rows on a Raspberry Pi class machine, so front ends should not poll it."""
    by_status = dict(
        session.exec(select(Device.status, func.count()).group_by(col(Device.status))).all()
    )
    by_reason = dict(
        session.exec(select(DeadLetter.reason, func.count()).group_by(col(DeadLetter.reason))).all()
    )
    return StoreStats(
        devices=sum(by_status.values()),
        devices_by_status={str(k): v for k, v in by_status.items()},
        series=session.exec(select(func.count()).select_from(Series)).one(),
        readings=session.exec(select(func.count()).select_from(Reading)).one(),
        dead_letters=sum(by_reason.values()),
        dead_letters_by_reason=by_reason,
        last_change_id=last_change_id(session=session),
        ingest=load_counters(session=session),
        agent=runtime.get_state(session=session, key=runtime.AGENT_KEY, now=now),
        sinks=mirror.sink_states(session=session),
    )
