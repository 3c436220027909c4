"""Intents as stored: one row per intent of a sentence, and the policies compiled from it.

A sentence like "prioritize doorbell-1 and limit cameras to 1 mbit" is two intents, each
revocable on its own; they share the ``text``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow


class IntentStatus(StrEnum):
    DRAFT = "draft"
    PLANNED = "planned"
    APPLYING = "applying"
    SCHEDULED = "scheduled"
    """Live, outside its schedule's window: nothing is enforced until the window opens."""
    ACTIVE = "active"
    FAILED = "failed"
    REVOKED = "revoked"
    EXPIRED = "expired"

    @property
    def live(self) -> bool:
        """Still meant to hold (and so still able to conflict with a new intent)."""
        return self in (
            IntentStatus.PLANNED,
            IntentStatus.APPLYING,
            IntentStatus.SCHEDULED,
            IntentStatus.ACTIVE,
        )


class Verdict(StrEnum):
    """What the verification loop found the last time it measured an intent or a policy."""

    SATISFIED = "satisfied"
    DEGRADED = "degraded"
    """Held, but only just: measured within the tolerance band beyond the target."""
    VIOLATED = "violated"
    UNVERIFIABLE = "unverifiable"
    """Nothing could be measured (dry run, no reports yet, no probe for it)."""

    @property
    def rank(self) -> int:
        """Worse verdicts rank higher; an intent takes its worst policy's verdict."""
        return _VERDICT_RANK[self]


_VERDICT_RANK = {
    Verdict.SATISFIED: 0,
    Verdict.UNVERIFIABLE: 1,
    Verdict.DEGRADED: 2,
    Verdict.VIOLATED: 3,
}


class IntentRecord(SQLModel, table=True):
    __tablename__ = "intent"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(max_length=500)
    position: int = 0
    """Position of this intent in its sentence."""
    kind: str = Field(max_length=32, index=True)
    parsed: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The intent as the parser returned it (INTENTS.md JSON)."""
    explanation: str = Field(max_length=500)
    owner: str = Field(max_length=64)
    origin: str = Field(max_length=16)
    status: IntentStatus = Field(default=IntentStatus.PLANNED, sa_type=String(16), index=True)
    replaces: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    note: str | None = Field(default=None, max_length=500)
    verdict: Verdict | None = Field(default=None, sa_type=String(16))
    verdict_reason: str | None = Field(default=None, max_length=500)
    checked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checks: int = 0
    checks_satisfied: int = 0
    violated_streak: int = 0
    """Consecutive violated checks; a finding is raised when it reaches the setting."""


class PolicyStatus(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    UNVERIFIED = "unverified"
    """Sent to the device, which never acknowledged it (even after one resend)."""
    FAILED = "failed"
    REMOVED = "removed"


class PolicyRecord(SQLModel, table=True):
    __tablename__ = "policy"

    id: int | None = Field(default=None, primary_key=True)
    intent_id: int = Field(foreign_key="intent.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=32)
    device_id: str | None = Field(default=None, max_length=64, index=True)
    address: str | None = Field(default=None, max_length=64)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The desired state the backend applies."""
    applied: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """What the backend last reported applying (enforcement issue)."""
    satisfied: str = Field(max_length=500)
    criteria: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The machine-readable form of ``satisfied``, for the verification loop."""
    summary: str = Field(max_length=500)
    status: PolicyStatus = Field(default=PolicyStatus.PENDING, sa_type=String(16))
    last_error: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    verdict: Verdict | None = Field(default=None, sa_type=String(16))
    measured: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    """What the last check measured (rates, counters, cadence, the device's answer)."""

    def set_state(
        self,
        status: PolicyStatus,
        error: str | None,
        applied: dict[str, Any] | None,
        now: datetime,
    ) -> None:
        """Record how enforcement left the policy; ``updated_at`` moves only on a change,
        so a steady pass writes nothing."""
        if (self.status, self.last_error, self.applied) != (status, error, applied):
            self.status, self.last_error, self.applied = status, error, applied
            self.updated_at = now


class IntentCheck(SQLModel, table=True):
    """One verification of one intent: the history behind its satisfaction over time."""

    __tablename__ = "intent_check"

    id: int | None = Field(default=None, primary_key=True)
    intent_id: int = Field(foreign_key="intent.id", ondelete="CASCADE", index=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    verdict: Verdict = Field(sa_type=String(16))
    reason: str | None = Field(default=None, max_length=500)


class PolicyPublic(SQLModel):
    id: int
    kind: str
    device_id: str | None
    address: str | None
    spec: dict[str, Any]
    satisfied: str
    summary: str
    status: PolicyStatus
    last_error: str | None
    applied: dict[str, Any] | None = None
    verdict: Verdict | None = None
    measured: dict[str, Any] | None = None


class IntentCheckPublic(SQLModel):
    at: datetime
    verdict: Verdict
    reason: str | None


class IntentPublic(SQLModel):
    id: int
    text: str
    position: int
    kind: str
    parsed: dict[str, Any]
    explanation: str
    owner: str
    origin: str
    status: IntentStatus
    replaces: list[int]
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    note: str | None
    verdict: Verdict | None = None
    verdict_reason: str | None = None
    checked_at: datetime | None = None
    checks: int = 0
    satisfaction: float | None = None
    """Share of checks that found the intent satisfied (None before the first check)."""
    policies: list[PolicyPublic] = []
