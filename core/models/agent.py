"""The agents registry: one row per ``warden agent`` process sharing this database.

Several agents on one PostgreSQL database (DESIGN.md §14) each upsert their own row on every
heartbeat, so ``warden cluster status`` and the web admin page can tell who is running,
since when, who leads which job and how much each one ingests. On SQLite there is one row.
A row is keyed by the agent's name (``WARDEN_AGENT_NAME``, the host name by default).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime


class AgentRecord(SQLModel, table=True):
    __tablename__ = "agent"

    name: str = Field(primary_key=True, max_length=200)
    host: str = Field(max_length=255)
    pid: int
    version: str = Field(max_length=50)
    started_at: datetime = Field(sa_type=UTCDateTime)
    heartbeat_at: datetime = Field(sa_type=UTCDateTime)
    stopped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """Set by a clean stop; a killed agent's row only goes stale."""
    leads: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """The leader-elected jobs this agent holds the lock of, sorted."""
    brokers: list[dict[str, object]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    """The collector's broker connections (url, connected, ...) as it reports them."""
    ingest_per_s: float = 0.0
    """Messages this agent received per second since its previous heartbeat."""
    enforcing: bool = False
    """Whether this agent reconciles and verifies its own interfaces."""


class AgentBeat(SQLModel):
    """What an agent says about itself on each heartbeat (the row's content)."""

    name: str
    host: str
    pid: int
    version: str
    started_at: datetime
    leads: list[str]
    brokers: list[dict[str, object]]
    ingest_per_s: float
    enforcing: bool


class AgentPublic(AgentBeat):
    """One agent as ``warden cluster status`` shows it."""

    heartbeat_at: datetime
    stopped_at: datetime | None
    state: str
    """``alive`` (fresh heartbeat), ``stale`` (none lately: killed, hung or cut off) or
    ``stopped`` (stopped cleanly)."""


class ClusterStatus(SQLModel):
    """The agents seen and who leads which job."""

    agents: list[AgentPublic]
    leaders: dict[str, str]
    """Job → name of the alive agent that holds its lock (a job no alive agent leads is
    missing: nobody runs it right now)."""
    stale_after_s: float
