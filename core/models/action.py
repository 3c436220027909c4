"""Actions: what a playbook proposes (or, in ``auto`` mode, does) about one finding.

The steps are rendered when the action is proposed, so an operator approves exactly the
command lines, URLs and sentences that will run, not a template."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow


class ActionState(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


FINAL_STATES = frozenset(
    {ActionState.REJECTED, ActionState.SUCCEEDED, ActionState.FAILED, ActionState.SKIPPED}
)


class Action(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    playbook_id: str = Field(max_length=80, index=True)
    finding_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("finding.id", ondelete="SET NULL"), nullable=True, index=True
        ),
    )
    device_id: str | None = Field(default=None, max_length=64)
    mode: str = Field(sa_column=Column(String(16), nullable=False))
    state: ActionState = Field(default=ActionState.PROPOSED, sa_type=String(16), index=True)
    title: str = Field(max_length=500)
    steps: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    results: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    """One entry per step run: kind, ok, output (capped), and what it touched."""
    reason: str | None = Field(default=None, max_length=500)
    """Why it was rejected, skipped or failed."""
    proposed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=64)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ActionPublic(SQLModel):
    """An action as a reader may see it. ``outputs_hidden`` says why the steps' output is
    left out of ``results`` (``None``: nothing is hidden)."""

    id: int
    playbook_id: str
    finding_id: int | None
    device_id: str | None
    mode: str
    state: ActionState
    title: str
    steps: list[dict[str, Any]]
    results: list[dict[str, Any]]
    reason: str | None
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    outputs_hidden: str | None = None
