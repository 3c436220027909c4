"""Commands to devices: a durable queue with a state per command (PROTOCOL.md Commands)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow


class CommandState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    ERROR = "error"
    UNSUPPORTED = "unsupported"
    TIMED_OUT = "timed_out"

    @property
    def final(self) -> bool:
        return self not in (CommandState.PENDING, CommandState.SENT)


class Command(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=36)
    """The ``cmd_id`` sent to the device (a UUID)."""
    device_id: str = Field(foreign_key="device.id", ondelete="CASCADE", max_length=64, index=True)
    cmd: str = Field(max_length=32)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: CommandState = Field(default=CommandState.PENDING, sa_type=String(16), index=True)
    detail: str | None = Field(default=None, max_length=500)
    actor: str = Field(max_length=64)
    timeout_s: int = 60
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ota_state: str | None = Field(default=None, max_length=16)
    ota_progress_pct: float | None = None


class CommandPublic(SQLModel):
    id: str
    device_id: str
    cmd: str
    params: dict[str, Any]
    state: CommandState
    detail: str | None
    actor: str
    timeout_s: int
    created_at: datetime
    sent_at: datetime | None
    finished_at: datetime | None
    ota_state: str | None
    ota_progress_pct: float | None
