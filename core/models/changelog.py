"""The change log: every mutation appends one row in its own transaction, and
``core.live.ChangeFeed`` turns the new rows into live updates for every process."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow


class Origin(StrEnum):
    """Where a change came from."""

    WEB = "web"
    TUI = "tui"
    API = "api"
    CLI = "cli"
    PLAYBOOK = "playbook"
    SYSTEM = "system"


class Role(StrEnum):
    """What a user may do (``core.permissions`` decides each action)."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"


class Outcome(StrEnum):
    """How an audited attempt ended."""

    OK = "ok"
    DENIED = "denied"
    """Refused by the permission table (or a failed login)."""


class Actor(SQLModel):
    """Who acts: a user name (or ``system``/a collector name), the front end used, the
    user's role (None: Warden itself, or a local operator with no login on this host) and,
    over the network, the client's address."""

    name: str
    origin: Origin
    role: Role | None = None
    address: str | None = None

    @classmethod
    def system(cls, name: str = "system") -> Actor:
        return cls(name=name, origin=Origin.SYSTEM)


class ChangeLog(SQLModel, table=True):
    __tablename__ = "change_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    actor: str = Field(max_length=64)
    origin: Origin = Field(sa_type=String(16))
    kind: str = Field(max_length=64, index=True)
    """Past tense, dotted: ``device.registered``, ``device.went_offline``."""
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    summary: str = Field(max_length=500)
    outcome: Outcome = Field(default=Outcome.OK, sa_type=String(8), index=True)
    """Every mutation is audited here; refused attempts too, as ``denied``."""
    address: str | None = Field(default=None, max_length=64)
    """The client's address, for changes made over the network."""
    count: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    """How many times it happened: repeated refusals from one address for one reason
    within a minute share a row (``core.services.audit.record_refusal``)."""


class ChangePublic(SQLModel):
    id: int
    at: datetime
    actor: str
    origin: Origin
    kind: str
    entity: str
    entity_id: str
    summary: str
    outcome: Outcome = Outcome.OK
    address: str | None = None
    count: int = 1
