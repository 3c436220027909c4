"""Log lines from routers and devices (syslog, HTTP batches), parsed and classified."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, String
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow


class LogEntry(SQLModel, table=True):
    __tablename__ = "log"
    __table_args__ = (
        Index("ix_log_device_ts", "device_id", "ts"),
        Index("ix_log_class_ts", "log_class", "ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    ts: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    """When the sender says it happened, epoch ms (arrival time when it did not say)."""
    received_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    source: str = Field(max_length=16)
    """``udp``, ``tcp`` or ``http``."""
    source_ip: str | None = Field(default=None, max_length=45)
    host: str | None = Field(default=None, max_length=255)
    app: str | None = Field(default=None, max_length=64)
    pid: int | None = None
    facility: int
    severity: int
    log_class: str = Field(sa_column=Column(String(16), nullable=False))
    message: str
    structured: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    truncated: bool = False
    device_id: str | None = Field(
        default=None,
        sa_column=Column(String(64), ForeignKey("device.id", ondelete="SET NULL"), nullable=True),
    )


class LogPublic(SQLModel):
    id: int
    ts: int
    received_at: datetime
    source: str
    source_ip: str | None
    host: str | None
    app: str | None
    pid: int | None
    facility: int
    severity: int
    log_class: str
    message: str
    structured: dict[str, Any]
    truncated: bool
    device_id: str | None
