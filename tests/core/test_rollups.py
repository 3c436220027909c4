"""The rollup tiers always equal the aggregate of the raw readings they cover, however the
readings arrive (late, out of order, resent) and however the passes fall between them
(restarted, interrupted, catching up)."""

from __future__ import annotations

from collections import defaultdict
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from collectors import data_jobs
from core.clock import from_ms
from core.models import ReadingIn
from core.runtime import Core
from core.services import rollups, telemetry
from tests.factories import FakeClock, actor, make_device

T0 = 1_770_000_000_000 - 1_770_000_000_000 % 3_600_000  # an hour boundary in 2026
MIN = 60_000
HOUR = 3_600_000
_devices = count()


def _aggregate(
    rows: list[tuple[int, float]],
) -> tuple[int, float, float, float, int, float, int, float]:
    rows = sorted(rows)
    values = [v for _, v in rows]
    return (
        len(rows),
        sum(values),
        min(values),
        max(values),
        rows[0][0],
        rows[0][1],
        rows[-1][0],
        rows[-1][1],
    )


def _tier(core: Core, table: str, series_id: int) -> dict[int, tuple]:
    with core.db.reader() as session:
        found = session.execute(
            text(
                f"SELECT bucket, count, sum, min, max, first_ts, first, last_ts, last FROM {table} "
                "WHERE series_id = :s ORDER BY bucket"
            ),
            {"s": series_id},
        ).all()
    return {row[0]: tuple(row[1:]) for row in found}


def _raw(core: Core, series_id: int) -> list[tuple[int, float]]:
    with core.db.reader() as session:
        found = session.execute(
            text("SELECT ts, value FROM reading WHERE series_id = :s"), {"s": series_id}
        ).all()
    return [(ts, value) for ts, value in found]


def _expected(raw: list[tuple[int, float]], width: int) -> dict[int, tuple]:
    buckets: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for ts, value in raw:
        buckets[ts - ts % width].append((ts, value))
    return {b: _aggregate(rows) for b, rows in buckets.items()}


def _assert_exact(core: Core, series_id: int) -> None:
    raw = _raw(core, series_id)
    for table, width in (("rollup_minute", MIN), ("rollup_hour", HOUR)):
        got = _tier(core, table, series_id)
        expected = _expected(raw, width)
        assert got.keys() == expected.keys(), table
        for bucket, row in expected.items():
            assert got[bucket][0] == row[0]
            assert got[bucket][1] == pytest.approx(row[1])
            assert got[bucket][2:] == row[2:], (table, bucket)


def _store(core: Core, device_id: str, batch: list[tuple[int, float]]) -> None:
    with core.db.writer() as session:
        telemetry.append_readings(
            session=session,
            device_id=device_id,
            readings=[ReadingIn(metric="power", ts=ts, value=v) for ts, v in batch],
            actor=actor(),
        )


def _series_id(core: Core, device_id: str) -> int:
    with core.db.reader() as session:
        return telemetry.list_series(session=session, device_id=device_id)[0].id


def _new_device(core: Core) -> str:
    device_id = f"meter-{next(_devices)}"
    with core.db.writer() as session:
        make_device(session, id=device_id)
    return device_id


_reading = st.tuples(
    st.integers(min_value=0, max_value=3 * HOUR - 1),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
)
_step = st.one_of(
    st.tuples(st.just("store"), st.lists(_reading, min_size=1, max_size=20)),
    st.tuples(
        st.just("pass"),
        st.integers(min_value=0, max_value=3 * HOUR + 2 * MIN),
        st.integers(min_value=1, max_value=5),
    ),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(_step, min_size=1, max_size=12))
def test_rollups_equal_the_aggregate_of_their_raw_readings(core: Core, steps: list[tuple]) -> None:
    """Readings land anywhere in three hours, in batches, between passes that run at any
    time with any batch size (a pass with a small batch is a pass cut short); after a
    final pass every minute and hour equals the aggregate of its raw readings."""
    device_id = _new_device(core)
    for step in steps:
        if step[0] == "store":
            _store(core, device_id, [(T0 + offset, value) for offset, value in step[1]])
        else:
            _, at, batch = step
            with core.db.writer() as session:
                rollups.roll_up_batch(session=session, before_ms=T0 + at, horizon_ms=0, limit=batch)
    if not any(step[0] == "store" for step in steps):
        return
    clock = FakeClock(from_ms(T0 + 4 * HOUR))
    data_jobs.roll_up(core.db, clock, raw_retention_days=7, batch=7)

    _assert_exact(core, _series_id(core, device_id))
    with core.db.reader() as session:
        assert rollups.pending_minutes(session=session) == 0
        assert rollups.watermark(session=session) == T0 + 4 * HOUR


def test_a_minute_still_filling_waits_and_a_late_reading_recomputes_its_minute(
    any_core: Core,
) -> None:
    device_id = _new_device(any_core)
    _store(any_core, device_id, [(T0 + 1_000, 1.0), (T0 + MIN + 1_000, 5.0)])
    clock = FakeClock(from_ms(T0 + MIN + 30_000))  # the second minute has not ended

    assert data_jobs.roll_up(any_core.db, clock, raw_retention_days=7) == 1
    series_id = _series_id(any_core, device_id)
    assert list(_tier(any_core, "rollup_minute", series_id)) == [T0]

    _store(any_core, device_id, [(T0 + 59_999, 3.0), (T0 + 500, -2.0)])  # late, out of order
    clock.advance(300)
    assert data_jobs.roll_up(any_core.db, clock, raw_retention_days=7) == 2

    _assert_exact(any_core, series_id)
    assert _tier(any_core, "rollup_hour", series_id)[T0] == (
        4,
        7.0,
        -2.0,
        5.0,
        T0 + 500,
        -2.0,
        T0 + MIN + 1_000,
        5.0,
    )
    # a second pass with nothing new changes nothing
    before = _tier(any_core, "rollup_minute", series_id)
    assert data_jobs.roll_up(any_core.db, clock, raw_retention_days=7) == 0
    assert _tier(any_core, "rollup_minute", series_id) == before


def test_a_reading_older_than_the_raw_retention_leaves_its_rollup_alone(core: Core) -> None:
    device_id = _new_device(core)
    _store(core, device_id, [(T0 + 1_000, 1.0), (T0 + 2_000, 2.0)])
    clock = FakeClock(from_ms(T0 + HOUR))
    data_jobs.roll_up(core.db, clock, raw_retention_days=7)
    series_id = _series_id(core, device_id)
    with core.db.writer() as session:  # the retention purge took the raw rows
        session.execute(text("DELETE FROM reading WHERE series_id = :s"), {"s": series_id})
    clock.advance(8 * 86_400)

    _store(core, device_id, [(T0 + 3_000, 9.0)])  # a very late reading
    data_jobs.roll_up(core.db, clock, raw_retention_days=7)

    assert _tier(core, "rollup_minute", series_id)[T0][:4] == (2, 3.0, 1.0, 2.0)
    with core.db.reader() as session:
        assert rollups.pending_minutes(session=session) == 0
