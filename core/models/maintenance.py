"""Maintenance windows: while one is active, findings for what it covers are recorded as
suppressed (not notified, no playbooks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow


class MaintenanceWindow(SQLModel, table=True):
    __tablename__ = "maintenance_window"

    id: int | None = Field(default=None, primary_key=True)
    reason: str = Field(max_length=500)
    selector: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """What it covers, as an intent target: {"all": true}, {"device": …}, {"type": …},
    {"tag": …}, {"location": …}."""
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_early_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    every: str | None = Field(default=None, max_length=8)
    """``day`` or ``week`` for a recurring window: ``starts_at`` to ``ends_at`` is its first
    occurrence, repeated every period until ``repeat_until`` (forever when ``None``)."""
    repeat_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class MaintenancePublic(SQLModel):
    id: int
    reason: str
    selector: dict[str, Any]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    ended_early_at: datetime | None
    every: str | None = None
    repeat_until: datetime | None = None
