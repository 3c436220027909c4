"""Rolling raw readings up into the 1-minute and 1-hour tiers.

The ``reading`` trigger lists every minute that got a new reading in ``rollup_pending``.
``roll_up_batch`` takes the oldest-keyed pending minutes that have ended, recomputes each
from its raw readings, recomputes the hours they belong to from their minutes, and removes
them from the list, all in one short transaction. Recomputing (never adding to) a bucket makes
the pass idempotent: a restart, a catch-up after downtime, a pass killed half-way and
readings that arrive late or out of order all end with the rollups a from-scratch
computation would give.

A minute older than the raw retention is dropped from the list without being recomputed:
its raw readings are being purged, and its rollup (computed while they were all there) is
the one to keep.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session, func, select

from core.models.rollup import HOUR_MS, MINUTE_MS, RollupPending, RollupState

WATERMARK = "rollup"

_BATCH = "p.bucket < :before AND (p.series_id < :sid OR (p.series_id = :sid AND p.bucket <= :bkt))"

_MINUTES = f"""
WITH agg AS (
    SELECT p.series_id AS series_id, p.bucket AS bucket, count(*) AS n, sum(r.value) AS s,
           min(r.value) AS lo, max(r.value) AS hi, min(r.ts) AS first_ts, max(r.ts) AS last_ts
    FROM rollup_pending p
    JOIN reading r ON r.series_id = p.series_id AND r.ts >= p.bucket
                  AND r.ts < p.bucket + {MINUTE_MS}
    WHERE {_BATCH} AND p.bucket >= :horizon
    GROUP BY p.series_id, p.bucket
)
INSERT INTO rollup_minute (series_id, bucket, count, sum, min, max, first_ts, first,
                           last_ts, last)
SELECT a.series_id, a.bucket, a.n, a.s, a.lo, a.hi, a.first_ts, f.value, a.last_ts, l.value
FROM agg a
JOIN reading f ON f.series_id = a.series_id AND f.ts = a.first_ts
JOIN reading l ON l.series_id = a.series_id AND l.ts = a.last_ts
WHERE true
ON CONFLICT (series_id, bucket) DO UPDATE SET
    count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max,
    first_ts = excluded.first_ts, first = excluded.first,
    last_ts = excluded.last_ts, last = excluded.last
"""

_HOURS = f"""
WITH touched AS (
    SELECT DISTINCT p.series_id AS series_id, p.bucket - p.bucket % {HOUR_MS} AS hour
    FROM rollup_pending p
    WHERE {_BATCH} AND p.bucket >= :horizon
),
agg AS (
    SELECT t.series_id AS series_id, t.hour AS hour, sum(m.count) AS n, sum(m.sum) AS s,
           min(m.min) AS lo, max(m.max) AS hi, min(m.first_ts) AS first_ts,
           max(m.last_ts) AS last_ts
    FROM touched t
    JOIN rollup_minute m ON m.series_id = t.series_id AND m.bucket >= t.hour
                        AND m.bucket < t.hour + {HOUR_MS}
    GROUP BY t.series_id, t.hour
)
INSERT INTO rollup_hour (series_id, bucket, count, sum, min, max, first_ts, first,
                         last_ts, last)
SELECT a.series_id, a.hour, a.n, a.s, a.lo, a.hi, a.first_ts, f.first, a.last_ts, l.last
FROM agg a
JOIN rollup_minute f ON f.series_id = a.series_id
                    AND f.bucket = a.first_ts - a.first_ts % {MINUTE_MS}
JOIN rollup_minute l ON l.series_id = a.series_id
                    AND l.bucket = a.last_ts - a.last_ts % {MINUTE_MS}
WHERE true
ON CONFLICT (series_id, bucket) DO UPDATE SET
    count = excluded.count, sum = excluded.sum, min = excluded.min, max = excluded.max,
    first_ts = excluded.first_ts, first = excluded.first,
    last_ts = excluded.last_ts, last = excluded.last
"""

_DONE = f"DELETE FROM rollup_pending AS p WHERE {_BATCH}"


def roll_up_batch(*, session: Session, before_ms: int, horizon_ms: int, limit: int = 500) -> int:
    """Roll up at most ``limit`` pending minutes that start before ``before_ms`` (minutes
    still filling stay pending) and commit; returns how many were taken off the list.

    Minutes starting before ``horizon_ms`` (outside the raw retention) are taken off
    without being recomputed. The watermark moves to ``before_ms`` once nothing before it
    is pending.
    """
    before_ms -= before_ms % MINUTE_MS
    last = session.execute(
        text(
            "SELECT series_id, bucket FROM rollup_pending WHERE bucket < :before "
            "ORDER BY series_id, bucket LIMIT 1 OFFSET :skip"
        ),
        {"before": before_ms, "skip": limit - 1},
    ).first()
    takes_all = last is None
    if takes_all:  # fewer than ``limit`` left: take them all
        last = session.execute(
            text(
                "SELECT series_id, bucket FROM rollup_pending WHERE bucket < :before "
                "ORDER BY series_id DESC, bucket DESC LIMIT 1"
            ),
            {"before": before_ms},
        ).first()
    if last is None:
        _set_watermark(session, before_ms)
        session.commit()
        return 0
    params = {"before": before_ms, "sid": last[0], "bkt": last[1], "horizon": horizon_ms}
    session.execute(text(_MINUTES), params)
    session.execute(text(_HOURS), params)
    done = session.execute(text(_DONE), params).rowcount or 0
    if takes_all:
        _set_watermark(session, before_ms)
    session.commit()
    return max(done, 0)


def _set_watermark(session: Session, watermark_ms: int) -> None:
    state = session.get(RollupState, WATERMARK)
    if state is None:
        session.add(RollupState(name=WATERMARK, watermark=watermark_ms))
    elif watermark_ms > state.watermark:
        state.watermark = watermark_ms


def watermark(*, session: Session) -> int | None:
    """Every minute before this time (ms) that is not pending is rolled up."""
    state = session.get(RollupState, WATERMARK)
    return None if state is None else state.watermark


def pending_minutes(*, session: Session) -> int:
    return session.exec(select(func.count()).select_from(RollupPending)).one()
