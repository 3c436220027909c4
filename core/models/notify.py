"""Webhook notifications, through an outbox: a notification is written in the same
transaction as the finding that caused it, and delivered (with retries) afterwards, so an
outage of the receiver loses nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow


class WebhookTarget(SQLModel, table=True):
    __tablename__ = "webhook_target"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    min_severity: str = Field(sa_column=Column(String(16), nullable=False))
    enabled: bool = True
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Notification(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    target_id: int = Field(foreign_key="webhook_target.id", ondelete="CASCADE", index=True)
    finding_id: int | None = Field(default=None, foreign_key="finding.id", ondelete="SET NULL")
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    state: str = Field(default="pending", sa_column=Column(String(16), nullable=False, index=True))
    """``pending``, ``sent`` or ``failed`` (gave up after the last attempt)."""
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebhookTargetPublic(SQLModel):
    id: int
    url: str
    min_severity: str
    enabled: bool
    created_by: str


class NotificationPublic(SQLModel):
    id: int
    target_id: int
    finding_id: int | None
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    sent_at: datetime | None
