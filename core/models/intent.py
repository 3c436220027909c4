"""Intents as stored: one row per intent of a sentence, and the policies compiled from it.

A sentence like "prioritize doorbell-1 and limit cameras to 1 mbit" is two intents, each
revocable on its own; they share the ``text``.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ValidationInfo, computed_field, field_validator
from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from core.intents.model import Intent
from core.intents.policy import Conflict, Policy, PolicyKind, PolicySpec, parse_spec, spec_of_kind
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
    DRY_RUN = "dry_run"
    """Not applied: enforcement is a dry run here (``last_error`` says why, ``applied``
    what the kernel would hold)."""


class PolicyRecord(SQLModel, table=True):
    __tablename__ = "policy"

    id: int | None = Field(default=None, primary_key=True)
    intent_id: int = Field(foreign_key="intent.id", ondelete="CASCADE", index=True)
    kind: str = Field(max_length=32)
    device_id: str | None = Field(default=None, max_length=64, index=True)
    address: str | None = Field(default=None, max_length=64)
    spec: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    """The desired state the backend applies: a ``PolicySpec``'s JSON (without its kind,
    which is the column beside it); read it back with ``StoredPolicy`` or ``PolicyPublic``."""
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
    kind: PolicyKind
    device_id: str | None
    address: str | None
    spec: PolicySpec
    satisfied: str
    summary: str
    status: PolicyStatus
    last_error: str | None
    applied: dict[str, Any] | None = None
    verdict: Verdict | None = None
    measured: dict[str, Any] | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        """The status as a person reads it: a dry run says so and why."""
        if self.status == PolicyStatus.DRY_RUN:
            return f"not applied — {self.last_error or 'dry run'}"
        return self.status.value

    @field_validator("spec", mode="before")
    @classmethod
    def read_spec_by_kind(cls, value: Any, info: ValidationInfo) -> Any:
        return spec_of_kind(value, info)


class StoredPolicy(BaseModel, frozen=True):
    """A stored policy as the enforcement engines read it: what to apply (typed), what
    verification checks, and how enforcement last left it."""

    id: int
    intent_id: int
    kind: PolicyKind
    device_id: str | None
    address: str | None
    """As planned; for a registered device the reconciler uses the device's current one."""
    spec: PolicySpec
    check: dict[str, Any]
    status: PolicyStatus
    last_error: str | None
    applied: dict[str, Any] | None

    @field_validator("spec", mode="before")
    @classmethod
    def read_spec_by_kind(cls, value: Any, info: ValidationInfo) -> Any:
        return spec_of_kind(value, info)

    @classmethod
    def of(cls, record: PolicyRecord) -> StoredPolicy:
        return cls(
            id=record.id,  # type: ignore[arg-type]
            intent_id=record.intent_id,
            kind=PolicyKind(record.kind),
            device_id=record.device_id,
            address=record.address,
            spec=parse_spec(record.kind, record.spec),
            check=record.criteria,
            status=record.status,
            last_error=record.last_error,
            applied=record.applied,
        )


class PolicyState(BaseModel, frozen=True):
    """How enforcement left a policy: its status, why (waiting or failed), and what the
    backend reported applying."""

    status: PolicyStatus
    error: str | None = None
    applied: dict[str, Any] | None = None


class PolicyCheck(BaseModel, frozen=True):
    """One policy's verdict in a check, and what was measured for it."""

    policy_id: int
    verdict: Verdict
    measured: dict[str, Any]


class IntentCheckIn(BaseModel, frozen=True):
    """One verification of one intent: its verdict (the worst of its policies') and why."""

    intent_id: int
    verdict: Verdict
    reason: str
    policies: list[PolicyCheck] = []


class IntentCheckPublic(SQLModel):
    at: datetime
    verdict: Verdict
    reason: str | None


class IntentPublic(SQLModel):
    id: int
    text: str
    position: int
    kind: str
    parsed: Intent
    """The intent as the parser returned it, params typed by kind."""
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

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dry_run(self) -> str | None:
        """Why the intent's network policies are recorded but not applied (enforcement is a
        dry run here); None when nothing of it is a dry run."""
        if not self.status.live:
            return None
        return next((p.last_error for p in self.policies if p.status == PolicyStatus.DRY_RUN), None)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        """The status as a person reads it: ``planned (dry run)`` when nothing was applied
        because enforcement is a dry run."""
        if self.dry_run is not None:
            return f"{self.status.value} (dry run)"
        return self.status.value

    @computed_field  # type: ignore[prop-decorator]
    @property
    def verdict_label(self) -> str | None:
        """The verdict as a person reads it: a dry run cannot be verified."""
        if self.dry_run is not None:
            return "unverifiable (dry run)"
        return self.verdict.value if self.verdict else None


class PlannedIntent(SQLModel):
    """One intent of a planned sentence, with the devices it resolved to."""

    position: int
    intent: Intent
    explanation: str
    devices: list[str]
    addresses: list[str]
    warnings: list[str]
    revokes: list[int] = []
    """For a revoke intent: the live intents it ends."""


class PlanPublic(SQLModel):
    """What submitting a sentence would change (``services.intents.plan``)."""

    text: str
    ok: bool
    """False when there are conflicts or refusals: submitting would be refused."""
    intents: list[PlannedIntent]
    policies: list[Policy]
    conflicts: list[Conflict]
    refusals: list[str] = []
    """What this gateway cannot enforce (no netem in the kernel, say)."""
    warnings: list[str]
    notes: list[str]
    rendered: str
    """The plan as plain text for a person to check."""
