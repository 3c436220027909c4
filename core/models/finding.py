"""Findings: everything that is wrong, one row per (rule, key), with a lifecycle."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow

EVIDENCE_KEPT = 50
"""Evidence ids kept per finding (the newest)."""


class FindingStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


SEVERITIES = ("info", "low", "medium", "high", "critical")


class Finding(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("rule_id", "key", name="uq_finding_rule_key"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_id: str = Field(max_length=64, index=True)
    key: str = Field(max_length=255)
    """What the rule counts by (a MAC, an IP, a device…); with the rule, the dedup key."""
    severity: str = Field(sa_column=Column(String(16), nullable=False, index=True))
    status: FindingStatus = Field(default=FindingStatus.OPEN, sa_type=String(16), index=True)
    device_id: str | None = Field(
        default=None,
        sa_column=Column(
            String(64), ForeignKey("device.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    summary: str = Field(max_length=500)
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    evidence: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    count: int = 0
    first_seen: datetime = Field(sa_type=UTCDateTime)
    last_seen: datetime = Field(sa_type=UTCDateTime)
    times_opened: int = 1
    suppressed: bool = False
    """Raised during a maintenance window: recorded, not notified."""
    acked_by: str | None = Field(default=None, max_length=64)
    acked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_by: str | None = Field(default=None, max_length=64)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class FindingNote(SQLModel, table=True):
    __tablename__ = "finding_note"

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="finding.id", ondelete="CASCADE", index=True)
    author: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    text: str = Field(max_length=2000)


class FindingNotePublic(SQLModel):
    author: str
    at: datetime
    text: str


class FindingPublic(SQLModel):
    id: int
    rule_id: str
    key: str
    severity: str
    status: FindingStatus
    device_id: str | None
    summary: str
    details: dict[str, Any]
    evidence: list[int]
    count: int
    first_seen: datetime
    last_seen: datetime
    times_opened: int
    suppressed: bool
    acked_by: str | None
    acked_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    notes: list[FindingNotePublic] = []
