"""Messages that could not be used, kept so nothing is silently lost."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, LargeBinary
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow

HEAD_BYTES = 1024
"""How much of a rejected payload is kept."""


class DeadLetter(SQLModel, table=True):
    __tablename__ = "dead_letter"

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    source: str = Field(max_length=16)
    """``mqtt``, ``http`` or ``syslog``."""
    topic: str = Field(max_length=512)
    reason: str = Field(max_length=32, index=True)
    detail: str = Field(default="", max_length=500)
    size: int
    head: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class DeadLetterPublic(SQLModel):
    id: int
    received_at: datetime
    source: str
    topic: str
    reason: str
    detail: str
    size: int
    head: bytes
