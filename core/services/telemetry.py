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
from core.models.rollup import HOUR_MS, MINUTE_MS
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

    The answer comes from the coarsest tier whose buckets are no wider than the chart's
    (``plan_window``): a day in 500 points is 3-minute buckets from the 1-minute tier, a
    month hourly buckets from the 1-hour tier, a window of minutes raw readings. Buckets of
    a tier start on its boundaries (the first may begin a little before ``since``) and are
    exact: the part of the window a tier does not cover yet (minutes not rolled up, the
    hour still running) is read from the next finer tier and the raw readings.
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
    plan = plan_window(start_ms, end_ms, points)
    if plan.tier == "raw":
        # Raw readings purged from part of the window (minutes rolled up before the oldest
        # raw reading): the minutes answer, at their resolution.
        purged = session.execute(
            text(
                "SELECT 1 FROM rollup_minute WHERE series_id = :s AND bucket >= :start "
                "AND bucket < coalesce((SELECT min(ts) FROM reading WHERE series_id = :s) "
                f"/ {MINUTE_MS} * {MINUTE_MS}, :end) LIMIT 1"
            ),
            {"s": series.id, "start": start_ms - start_ms % MINUTE_MS, "end": end_ms},
        ).first()
        if purged is not None:
            plan = plan_window(start_ms, end_ms, points, finest=MINUTE_MS)
    pending = session.execute(
        text("SELECT min(bucket) FROM rollup_pending WHERE series_id = :s"), {"s": series.id}
    ).scalar()
    params = plan.bounds(end_ms, pending) | {
        "s": series.id,
        "origin": plan.origin,
        "width": plan.bucket_ms,
    }
    result = [
        Point(ts=plan.origin + b * plan.bucket_ms, min=lo, max=hi, avg=total / n, count=n)
        for b, n, total, lo, hi in session.execute(_WINDOW_SQL, params)
    ]
    return SeriesWindow(
        device_id=device.id,
        metric=metric,
        unit=series.unit,
        since=from_ms(start_ms),
        until=from_ms(end_ms),
        bucket_ms=plan.bucket_ms,
        tier=plan.tier,
        rows=sum(p.count for p in result),
        points=result,
    )


_WINDOW_SQL = text(
    """
SELECT b, CAST(sum(n) AS BIGINT), sum(s), min(lo), max(hi) FROM (
    SELECT (bucket - :origin) / :width AS b, count AS n, sum AS s, min AS lo, max AS hi
    FROM rollup_hour WHERE series_id = :s AND bucket >= :h0 AND bucket < :h1
    UNION ALL
    SELECT (bucket - :origin) / :width AS b, count AS n, sum AS s, min AS lo, max AS hi
    FROM rollup_minute WHERE series_id = :s AND bucket >= :m0 AND bucket < :m1
    UNION ALL
    SELECT (ts - :origin) / :width AS b, count(*) AS n, sum(value) AS s, min(value) AS lo,
           max(value) AS hi
    FROM reading WHERE series_id = :s AND ts >= :r0 AND ts < :r1
    GROUP BY b
) parts
GROUP BY b ORDER BY b
"""
)


class WindowPlan(SQLModel):
    """How a chart window is answered: from which tier, in buckets of what width starting
    where."""

    tier: str
    """``raw``, ``1m`` or ``1h``."""
    origin: int
    bucket_ms: int

    def bounds(self, end_ms: int, pending_ms: int | None) -> dict[str, int]:
        """Which part of ``[origin, end)`` each table answers: the tier up to where it is
        complete (a whole bucket before ``end``, before the first pending minute), the
        finer tiers after that."""
        pending = end_ms if pending_ms is None else min(pending_ms, end_ms)
        if self.tier == "raw":
            return {"h0": 0, "h1": 0, "m0": 0, "m1": 0, "r0": self.origin, "r1": end_ms}
        m1 = max(self.origin, min(end_ms - end_ms % MINUTE_MS, pending - pending % MINUTE_MS))
        if self.tier == "1m":
            return {"h0": 0, "h1": 0, "m0": self.origin, "m1": m1, "r0": m1, "r1": end_ms}
        h1 = max(self.origin, min(end_ms - end_ms % HOUR_MS, pending - pending % HOUR_MS))
        m1 = max(m1, h1)
        return {"h0": self.origin, "h1": h1, "m0": h1, "m1": m1, "r0": m1, "r1": end_ms}


def plan_window(start_ms: int, end_ms: int, points: int, *, finest: int = 1) -> WindowPlan:
    """The coarsest tier whose unit is no wider than ``(end - start) / points``, buckets a
    whole number of its units wide, starting on its boundary, at most ``points`` of them.
    ``finest``: the narrowest bucket allowed (a minute where raw readings are purged)."""
    want = max(finest, math.ceil((end_ms - start_ms) / points))
    for tier, unit in (("1h", HOUR_MS), ("1m", MINUTE_MS)):
        if want >= unit:
            origin = start_ms - start_ms % unit
            width = math.ceil(want / unit) * unit
            while math.ceil((end_ms - origin) / width) > points:
                width += unit
            return WindowPlan(tier=tier, origin=origin, bucket_ms=width)
    return WindowPlan(tier="raw", origin=start_ms, bucket_ms=want)


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
