"""The sinks' outbox and health: what is still to be mirrored, and how each sink is doing.

The InfluxDB mirror's outbox is not a copy of the readings: each committed ingest batch adds
one ``MirrorPending`` row naming, per series, the span of timestamps it stored. The mirror
reads those spans back from ``reading``, writes them and deletes the row, so a restart
resumes where it stopped and an outage of hours is caught up from the table itself.
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel


class MirrorPending(SQLModel, table=True):
    __tablename__ = "mirror_pending"

    id: int | None = Field(default=None, primary_key=True)
    created_ms: int = Field(sa_column=Column(BigInteger, nullable=False))
    """When the batch was committed (the mirror's lag is measured from the oldest)."""
    spans: list[list[int]] = Field(sa_column=Column(JSON, nullable=False))
    """``[series_id, first_ts, last_ts]`` per series the batch stored readings of."""


class SinkState(SQLModel):
    """What a sink publishes after every attempt (the run-time setting ``sink.<name>``)."""

    name: str
    enabled: bool = True
    pending: int = 0
    """Batches (or segments) waiting."""
    lag_s: float = 0.0
    """Age of the oldest waiting batch."""
    sent: int = 0
    """Points (or objects) delivered since the process started."""
    last_success_ms: int | None = None
    failing_since_ms: int | None = None
    """Set while every attempt fails; None once one succeeds."""
    last_error: str | None = None
    errors: dict[str, int] = Field(default_factory=dict)
    """Failed attempts by kind (unreachable, unauthorized, not_found, rejected, other)."""
    at_ms: int = 0

    def failing_for_s(self, now_ms: int) -> float:
        return 0.0 if self.failing_since_ms is None else (now_ms - self.failing_since_ms) / 1000
