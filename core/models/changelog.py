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


class Actor(SQLModel):
    """Who acts: a user name (or ``system``/a collector name) and the front end used."""

    name: str
    origin: Origin

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


class ChangePublic(SQLModel):
    id: int
    at: datetime
    actor: str
    origin: Origin
    kind: str
    entity: str
    entity_id: str
    summary: str
