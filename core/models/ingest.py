"""State the telemetry pipeline keeps per device: sequence tracking, so duplicates and gaps
are judged the same way after a restart as before it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow


class DeviceSeq(SQLModel, table=True):
    __tablename__ = "device_seq"

    device_id: str = Field(
        primary_key=True, foreign_key="device.id", ondelete="CASCADE", max_length=64
    )
    boot: int = 0
    last: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    duplicates: int = 0
    gaps: int = 0
    missing: int = 0
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """The full ``core.protocol.SeqState`` (window bitmap included) as JSON."""
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SeqPublic(SQLModel):
    boot: int
    last: int | None
    duplicates: int
    gaps: int
    missing: int
