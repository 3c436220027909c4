"""The InfluxDB mirror's outbox and every sink's published health.

``pending`` hands the mirror the oldest batches still to send, with their readings read back
from ``reading`` (device, type, location and metric joined in); ``delivered`` removes them once
the write succeeded. Batches are removed only after a successful write, so a crash between
the two sends them again, which is harmless: the same series and timestamp overwrite.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, delete, func, or_
from sqlmodel import Session, col, select

from core.models import Device, MirrorPending, Reading, Series, Setting, SinkState
from core.services.runtime import put_state

STATE_KEY = "sink.{name}"


@dataclass(frozen=True, slots=True)
class MirrorPoint:
    """One stored reading with what the mirror tags it by."""

    device_id: str
    device_type: str
    location: str | None
    metric: str
    ts_ms: int
    value: float


@dataclass(slots=True)
class MirrorWork:
    """The oldest waiting batches and their readings."""

    batch_ids: list[int] = field(default_factory=list)
    points: list[MirrorPoint] = field(default_factory=list)
    oldest_ms: int | None = None


def pending(*, session: Session, max_points: int) -> MirrorWork:
    """The oldest waiting batches and their readings, read with one statement per
    ``SPANS_PER_QUERY`` spans. About ``max_points`` readings: batches are taken while their
    spans fit in ``max_points // 10`` (a span holds at least one reading, usually several),
    always at least one batch however large, so a big batch cannot stall the outbox."""
    work = MirrorWork()
    spans: list[list[int]] = []
    rows = session.exec(
        select(MirrorPending).order_by(col(MirrorPending.id)).limit(max(1, max_points // 10))
    ).all()
    for row in rows:
        if work.batch_ids and len(spans) + len(row.spans) > max(1, max_points // 10):
            break
        assert row.id is not None
        work.batch_ids.append(row.id)
        spans.extend(row.spans)
        if work.oldest_ms is None:
            work.oldest_ms = row.created_ms
    work.points = _points(session, spans)
    return work


SPANS_PER_QUERY = 200
"""Spans read per statement (SQLite bounds an expression's depth at 1 000)."""


def _points(session: Session, spans: list[list[int]]) -> list[MirrorPoint]:
    points: list[MirrorPoint] = []
    for start in range(0, len(spans), SPANS_PER_QUERY):
        ranges = or_(
            *(
                and_(col(Reading.series_id) == sid, col(Reading.ts) >= lo, col(Reading.ts) <= hi)
                for sid, lo, hi in spans[start : start + SPANS_PER_QUERY]
            )
        )
        rows = session.exec(
            select(
                Device.id, Device.type, Device.location, Series.metric, Reading.ts, Reading.value
            )
            .join(Series, col(Series.id) == col(Reading.series_id))
            .join(Device, col(Device.id) == col(Series.device_id))
            .where(ranges)
        ).all()
        points.extend(MirrorPoint(d, t or "device", loc, m, ts, v) for d, t, loc, m, ts, v in rows)
    return points


def delivered(*, session: Session, batch_ids: list[int]) -> None:
    """Forget batches the mirror has written."""
    if batch_ids:
        session.execute(delete(MirrorPending).where(col(MirrorPending.id).in_(batch_ids)))
        session.commit()


def backlog(*, session: Session) -> tuple[int, int | None]:
    """How many batches wait, and when the oldest was committed (epoch ms)."""
    count, oldest = session.exec(
        select(func.count(), func.min(MirrorPending.created_ms))  # type: ignore[arg-type]
    ).one()
    return int(count), oldest


def publish_state(*, session: Session, state: SinkState, now: datetime) -> None:
    put_state(
        session=session, key=STATE_KEY.format(name=state.name), value=state.model_dump(), now=now
    )


def sink_states(*, session: Session) -> list[SinkState]:
    """What every configured sink last published (none: no sink configured or started)."""
    rows = session.exec(
        select(Setting).where(col(Setting.key).startswith("sink.")).order_by(col(Setting.key))
    ).all()
    return [SinkState.model_validate(row.value) for row in rows if row.value]
