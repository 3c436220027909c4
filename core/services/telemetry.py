"""Time series: appending readings and reading them back, downsampled in SQL."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, text
from sqlmodel import Session, SQLModel, col, select

from core.clock import from_ms, to_ms
from core.db import insert_ignore
from core.errors import InvalidInput, SeriesNotFound
from core.models import (
    Actor,
    Device,
    Point,
    Reading,
    ReadingIn,
    Series,
    SeriesPublic,
    SeriesWindow,
)
from core.services.changes import record_device_change
from core.services.devices import find_device

MAX_POINTS = 10_000


def ensure_series(
    *, session: Session, device_id: str, metrics: dict[str, str | None]
) -> dict[str, int]:
    """Ids of the device's series for these metrics, creating the missing ones.

    ``metrics`` maps metric name to unit. Flushes but does not commit.
    """
    existing = {
        s.metric: s
        for s in session.exec(
            select(Series).where(
                Series.device_id == device_id, col(Series.metric).in_(list(metrics))
            )
        )
    }
    missing = [m for m in metrics if m not in existing]
    if missing:
        session.execute(
            insert_ignore(session, Series.__table__),
            [{"device_id": device_id, "metric": m, "unit": metrics[m]} for m in missing],
        )
        existing.update(
            (s.metric, s)
            for s in session.exec(
                select(Series).where(Series.device_id == device_id, col(Series.metric).in_(missing))
            )
        )
    return {metric: series.id for metric, series in existing.items()}  # type: ignore[misc]


def append_readings(
    *, session: Session, device_id: str, readings: Sequence[ReadingIn], actor: Actor
) -> int:
    """Store a batch of one device's readings; returns how many were new.

    Rows go in as one set-based insert (never ORM objects); a reading whose
    ``(series, ts)`` is already stored is skipped.
    """
    if not readings:
        return 0
    for reading in readings:
        if not math.isfinite(reading.value):
            raise InvalidInput(f"{reading.metric} at {reading.ts}: {reading.value} is not finite")
    find_device(session, device_id)
    units: dict[str, str | None] = {}
    for reading in readings:
        units.setdefault(reading.metric, reading.unit)
    series_ids = ensure_series(session=session, device_id=device_id, metrics=units)
    # RETURNING gives the rows really inserted on both backends (psycopg reports no
    # rowcount for a multi-row insert).
    result = session.execute(
        insert_ignore(session, Reading.__table__).returning(Reading.__table__.c.ts),
        [{"series_id": series_ids[r.metric], "ts": r.ts, "value": r.value} for r in readings],
    )
    stored = len(result.all())
    if stored == 0:  # all resent: nothing new to tell anyone
        session.commit()
        return 0
    record_device_change(
        session=session,
        actor=actor,
        kind="telemetry.appended",
        device_id=device_id,
        summary=f"{stored} readings for {device_id}",
    )
    session.commit()
    return stored


def list_series(*, session: Session, device_id: str) -> list[SeriesPublic]:
    device = find_device(session, device_id)
    rows = session.exec(
        select(Series).where(Series.device_id == device.id).order_by(col(Series.metric))
    )
    return [SeriesPublic.model_validate(s, from_attributes=True) for s in rows]


def query_series(
    *,
    session: Session,
    device_id: str,
    metric: str,
    since: datetime,
    until: datetime,
    points: int = 500,
) -> SeriesWindow:
    """A series between two times, as at most ``points`` buckets of equal width, each with
    the min, max and mean of its readings; empty buckets are left out.

    The grouping happens in SQL over the clustered ``(series_id, ts)`` key, so a day at
    1 Hz (86 400 rows) comes back as 500 points without moving the rows into Python.
    """
    if not 1 <= points <= MAX_POINTS:
        raise InvalidInput(f"points must be between 1 and {MAX_POINTS}, not {points}")
    start_ms, end_ms = to_ms(since), to_ms(until)
    if end_ms <= start_ms:
        raise InvalidInput(
            f"the window is empty: {since.isoformat()} is not before {until.isoformat()}"
        )
    device = find_device(session, device_id)
    series = session.exec(
        select(Series).where(Series.device_id == device.id, Series.metric == metric)
    ).first()
    if series is None:
        known = [s.metric for s in list_series(session=session, device_id=device.id)]
        raise SeriesNotFound(
            f"{device.id} has no metric {metric!r}"
            + (f"; it has {', '.join(known)}" if known else "; it has no telemetry yet"),
            suggestions=known,
        )
    bucket_ms = max(1, math.ceil((end_ms - start_ms) / points))
    bucket = ((col(Reading.ts) - start_ms) // bucket_ms).label("bucket")
    query = (
        select(
            bucket,
            func.min(Reading.value),
            func.max(Reading.value),
            func.avg(Reading.value),
            func.count(),
        )
        .where(
            Reading.series_id == series.id, col(Reading.ts) >= start_ms, col(Reading.ts) < end_ms
        )
        .group_by(text("bucket"))  # by alias: one expression, one set of parameters
        .order_by(text("bucket"))
    )
    result = [
        Point(ts=start_ms + b * bucket_ms, min=lo, max=hi, avg=mean, count=n)
        for b, lo, hi, mean, n in session.execute(query)
    ]
    return SeriesWindow(
        device_id=device.id,
        metric=metric,
        unit=series.unit,
        since=from_ms(start_ms),
        until=from_ms(end_ms),
        bucket_ms=bucket_ms,
        rows=sum(p.count for p in result),
        points=result,
    )


class LatestReading(SQLModel):
    """The newest stored reading of one series (``ts`` in ms since the epoch, UTC)."""

    metric: str
    unit: str | None
    ts: int
    value: float


def latest_readings(*, session: Session, device_id: str) -> list[LatestReading]:
    """The newest reading of each of the device's series, by metric, however old it is
    (front ends show its age beside it); series with no reading are left out. One query:
    a seek on the ``(series_id, ts)`` key per series."""
    device = find_device(session, device_id)
    newest = (
        select(func.max(Reading.ts))
        .where(Reading.series_id == Series.id)
        .correlate(Series)
        .scalar_subquery()
    )
    rows = session.exec(
        select(Series.metric, Series.unit, Reading.ts, Reading.value)
        .join(Reading, and_(col(Reading.series_id) == col(Series.id), col(Reading.ts) == newest))
        .where(Series.device_id == device.id)
        .order_by(col(Series.metric))
    ).all()
    return [
        LatestReading(metric=metric, unit=unit, ts=ts, value=value)
        for metric, unit, ts, value in rows
    ]


def raw_readings(
    *,
    session: Session,
    device_id: str,
    metric: str,
    since: datetime,
    until: datetime,
    limit: int = 1000,
) -> list[tuple[int, float]]:
    """The newest stored readings of a series in ``[since, until)``, as (ts_ms, value),
    oldest first; at most ``limit`` of them."""
    device = find_device(session, device_id)
    series = session.exec(
        select(Series).where(Series.device_id == device.id, Series.metric == metric)
    ).first()
    if series is None:
        return []
    rows = session.exec(
        select(Reading.ts, Reading.value)
        .where(
            Reading.series_id == series.id,
            col(Reading.ts) >= to_ms(since),
            col(Reading.ts) < to_ms(until),
        )
        .order_by(col(Reading.ts).desc())
        .limit(limit)
    ).all()
    return [(ts, value) for ts, value in reversed(rows)]


def metric_windows(
    *, session: Session, metric: str, since_ms: int, until_ms: int, max_points: int = 2000
) -> list[tuple[str, str, list[tuple[int, float]]]]:
    """For every device with a series named ``metric``: (device id, device type, its
    readings in ``[since_ms, until_ms)`` as (ts_ms, value), newest ``max_points``)."""
    rows = session.exec(
        select(Series.id, Series.device_id, Device.type)
        .join(Device, col(Device.id) == col(Series.device_id))
        .where(Series.metric == metric)
    ).all()
    windows = []
    for series_id, device_id, device_type in rows:
        points = session.exec(
            select(Reading.ts, Reading.value)
            .where(
                Reading.series_id == series_id,
                col(Reading.ts) >= since_ms,
                col(Reading.ts) < until_ms,
            )
            .order_by(col(Reading.ts).desc())
            .limit(max_points)
        ).all()
        if points:
            windows.append((device_id, device_type, [(ts, v) for ts, v in reversed(points)]))
    return windows
