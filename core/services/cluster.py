"""The agents registry and who leads which job: what ``warden cluster status`` and the web
admin page show. Each agent upserts its own row on every heartbeat (``record_heartbeat``);
a row whose heartbeat is older than ``STALE_AFTER`` belongs to an agent that was killed,
hangs or lost the database, and whatever it claimed to lead is not counted as led.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from core.models import AgentBeat, AgentPublic, AgentRecord, ClusterStatus
from core.services.runtime import STALE_AFTER


def record_heartbeat(*, session: Session, beat: AgentBeat, now: datetime) -> str | None:
    """Insert or update this agent's row and commit. One row per name: returns the process
    the row last belonged to when that was another one (host and pid). On an agent's first
    beat that is its own predecessor; on a later one it means two agents were given the same
    ``WARDEN_AGENT_NAME`` and overwrite each other, which the agent says."""
    row = session.get(AgentRecord, beat.name)
    clash = None
    if row is None:
        row = AgentRecord(**beat.model_dump(), heartbeat_at=now)
    else:
        if (row.host, row.pid, row.started_at) != (beat.host, beat.pid, beat.started_at):
            clash = f"{row.host} pid {row.pid}"
        for field, value in beat.model_dump().items():
            setattr(row, field, value)
        row.heartbeat_at = now
        row.stopped_at = None
    session.add(row)
    session.commit()
    return clash


def record_stopped(*, session: Session, name: str, now: datetime) -> None:
    """A clean stop: the agent leads nothing any more (its locks went with its connection)."""
    row = session.get(AgentRecord, name)
    if row is None:
        return
    row.stopped_at = now
    row.leads = []
    row.ingest_per_s = 0.0
    session.add(row)
    session.commit()


def _state(row: AgentRecord, now: datetime) -> str:
    if row.stopped_at is not None:
        return "stopped"
    return "alive" if now - row.heartbeat_at < STALE_AFTER else "stale"


def cluster_status(*, session: Session, now: datetime) -> ClusterStatus:
    """Every agent seen, alive ones first, and the leader of each job among the alive."""
    rows = session.exec(select(AgentRecord).order_by(col(AgentRecord.name))).all()
    agents = [
        AgentPublic(
            **AgentBeat.model_validate(row, from_attributes=True).model_dump(),
            heartbeat_at=row.heartbeat_at,
            stopped_at=row.stopped_at,
            state=_state(row, now),
        )
        for row in rows
    ]
    agents.sort(key=lambda a: (a.state != "alive", a.name))
    leaders = {job: agent.name for agent in agents if agent.state == "alive" for job in agent.leads}
    return ClusterStatus(
        agents=agents,
        leaders=dict(sorted(leaders.items())),
        stale_after_s=STALE_AFTER.total_seconds(),
    )
