"""Telemetry as an operator sees it: readings stored once however often they are resent,
and a chart of any window as N points with the right min, max and mean per bucket."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import timedelta
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import Session

from collectors import data_jobs
from core.clock import from_ms
from core.errors import DeviceNotFound, InvalidInput, SeriesNotFound
from core.models import Point, ReadingIn
from core.runtime import Core
from core.services import telemetry
from core.services.changes import list_changes
from tests.factories import FakeClock, actor, make_device, readings

T0 = 1_770_000_000_000  # 2026-02-02, in ms
DAY_MS = 86_400_000


@pytest.fixture
def session(any_core: Core) -> Iterator[Session]:
    with any_core.db.writer() as opened:
        make_device(opened, id="meter-1")
        yield opened


def append(session: Session, batch: list[ReadingIn], device_id: str = "meter-1") -> int:
    return telemetry.append_readings(
        session=session, device_id=device_id, readings=batch, actor=actor()
    )


def query(session: Session, *, since_ms: int, until_ms: int, points: int = 500, **kw):  # type: ignore[no-untyped-def]
    return telemetry.query_series(
        session=session,
        device_id=kw.pop("device_id", "meter-1"),
        metric=kw.pop("metric", "power"),
        since=from_ms(since_ms),
        until=from_ms(until_ms),
        points=points,
    )


def appended_changes(session: Session) -> int:
    return sum(c.kind == "telemetry.appended" for c in list_changes(session=session))


def reference(
    rows: dict[int, float],
    *,
    since_ms: int,
    until_ms: int,
    points: int,
    grid: tuple[int, int] | None = None,
) -> list[tuple[int, float, float, float, int]]:
    """The downsampling, done the slow obvious way in Python. ``grid``: the first bucket's
    start and the buckets' width (a rollup tier's); otherwise the window is cut into
    ``points`` equal buckets from ``since``."""
    origin, bucket_ms = grid or (since_ms, max(1, math.ceil((until_ms - since_ms) / points)))
    buckets: dict[int, list[float]] = {}
    for ts, value in rows.items():
        if origin <= ts < until_ms:
            buckets.setdefault((ts - origin) // bucket_ms, []).append(value)
    return [
        (origin + b * bucket_ms, min(vs), max(vs), sum(vs) / len(vs), len(vs))
        for b, vs in sorted(buckets.items())
    ]


def as_tuples(points: list[Point]) -> list[tuple[int, float, float, float, int]]:
    return [(p.ts, p.min, p.max, p.avg, p.count) for p in points]


# ---------------------------------------------------------------- appending


def test_append_stores_readings_and_says_how_many(session: Session) -> None:
    stored = append(session, readings("power", start_ms=T0, count=10, unit="W"))

    assert stored == 10
    window = query(session, since_ms=T0, until_ms=T0 + 10_000, points=10)
    assert window.rows == 10
    assert window.unit == "W"
    assert [p.avg for p in window.points] == [float(i) for i in range(10)]
    assert appended_changes(session) == 1
    assert [s.metric for s in telemetry.list_series(session=session, device_id="meter-1")] == [
        "power"
    ]


def test_resent_readings_are_stored_once_and_the_first_copy_wins(session: Session) -> None:
    append(session, readings("power", start_ms=T0, count=10))

    resent = readings("power", start_ms=T0 + 5_000, count=10, value_fn=lambda i: -1.0)
    stored = append(session, resent)

    assert stored == 5
    window = query(session, since_ms=T0, until_ms=T0 + 15_000, points=15)
    assert window.rows == 15
    assert [p.avg for p in window.points] == [float(i) for i in range(10)] + [-1.0] * 5


def test_a_fully_resent_batch_tells_nobody(session: Session) -> None:
    batch = readings("power", start_ms=T0, count=10)
    append(session, batch)
    before = appended_changes(session)

    assert append(session, batch) == 0
    assert appended_changes(session) == before


def test_one_batch_several_metrics(session: Session) -> None:
    batch = readings("power", start_ms=T0, count=3, unit="W") + readings(
        "voltage", start_ms=T0, count=3, value_fn=lambda i: 230.0, unit="V"
    )

    assert append(session, batch) == 6
    assert [s.metric for s in telemetry.list_series(session=session, device_id="meter-1")] == [
        "power",
        "voltage",
    ]
    assert query(session, since_ms=T0, until_ms=T0 + 3_000, metric="voltage").rows == 3


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_value_is_refused_and_nothing_is_stored(session: Session, bad: float) -> None:
    batch = [
        *readings("power", start_ms=T0, count=3),
        ReadingIn(metric="power", ts=T0 + 9, value=bad),
    ]

    with pytest.raises(InvalidInput, match="power"):
        append(session, batch)

    assert telemetry.list_series(session=session, device_id="meter-1") == []
    assert appended_changes(session) == 0


def test_append_for_an_unknown_device(session: Session) -> None:
    with pytest.raises(DeviceNotFound):
        append(session, readings("power", start_ms=T0, count=1), device_id="ghost")


def test_empty_batch(session: Session) -> None:
    assert append(session, []) == 0
    assert appended_changes(session) == 0


# ---------------------------------------------------------------- querying


@pytest.mark.parametrize("rolled_up", [True, False], ids=["rolled-up", "not-yet"])
def test_a_day_at_one_hertz_becomes_3_minute_buckets_from_the_minute_tier(
    any_core: Core, rolled_up: bool
) -> None:
    """A day in at most 500 points is 480 buckets of 3 minutes (the 1-minute tier's unit
    times three), the same whether the minutes are rolled up yet or still read raw."""

    def value(i: int) -> float:
        return float(i % 977)

    day = readings("power", start_ms=T0, count=86_400, step_ms=1000, value_fn=value)
    with any_core.db.writer() as session:
        make_device(session, id="meter-1")
        assert append(session, day) == 86_400
        # a neighbour day and another device's series must not leak in
        append(session, readings("power", start_ms=T0 + DAY_MS, count=100))
        make_device(session, id="meter-2")
        append(session, readings("power", start_ms=T0, count=100), device_id="meter-2")
    if rolled_up:
        data_jobs.roll_up(any_core.db, FakeClock(from_ms(T0 + 2 * DAY_MS)), raw_retention_days=7)

    with any_core.db.reader() as session:
        window = query(session, since_ms=T0, until_ms=T0 + DAY_MS, points=500)

    assert window.rows == 86_400
    assert window.tier == "1m"
    assert window.bucket_ms == 180_000
    assert len(window.points) == 480
    assert window.since == from_ms(T0)
    assert window.until == from_ms(T0 + DAY_MS)
    expected = reference(
        {r.ts: r.value for r in day},
        since_ms=T0,
        until_ms=T0 + DAY_MS,
        points=500,
        grid=(T0, 180_000),
    )
    got = as_tuples(window.points)
    assert [(ts, lo, hi, n) for ts, lo, hi, _, n in got] == [
        (ts, lo, hi, n) for ts, lo, hi, _, n in expected
    ]
    assert [avg for *_, avg, _ in got] == pytest.approx([avg for *_, avg, _ in expected])


def test_window_is_half_open(session: Session) -> None:
    append(session, readings("power", start_ms=T0 - 1000, count=5))  # T0-1s .. T0+3s

    window = query(session, since_ms=T0, until_ms=T0 + 3000, points=3)

    assert [p.ts for p in window.points] == [T0, T0 + 1000, T0 + 2000]
    assert [p.min for p in window.points] == [1.0, 2.0, 3.0]
    assert window.rows == 3


def test_empty_buckets_are_left_out(session: Session) -> None:
    append(session, readings("power", start_ms=T0, count=2, step_ms=9_000))  # T0, T0+9s

    window = query(session, since_ms=T0, until_ms=T0 + 10_000, points=10)

    assert [(p.ts, p.count) for p in window.points] == [(T0, 1), (T0 + 9_000, 1)]


def test_unknown_metric_names_the_ones_the_device_has(session: Session) -> None:
    append(
        session,
        readings("voltage", start_ms=T0, count=1) + readings("power", start_ms=T0, count=1),
    )

    with pytest.raises(SeriesNotFound) as caught:
        query(session, since_ms=T0, until_ms=T0 + 1000, metric="current")

    assert caught.value.suggestions == ["power", "voltage"]
    assert "power" in str(caught.value)
    assert "voltage" in str(caught.value)


def test_unknown_metric_on_a_device_without_telemetry(session: Session) -> None:
    with pytest.raises(SeriesNotFound, match="no telemetry"):
        query(session, since_ms=T0, until_ms=T0 + 1000)


def test_query_of_an_unknown_device(session: Session) -> None:
    with pytest.raises(DeviceNotFound):
        query(session, since_ms=T0, until_ms=T0 + 1000, device_id="ghost")


@pytest.mark.parametrize(
    ("since_ms", "until_ms", "points"),
    [
        (T0, T0, 500),  # empty window
        (T0, T0 - 1000, 500),  # until before since
        (T0, T0 + 1000, 0),
        (T0, T0 + 1000, -1),
        (T0, T0 + 1000, telemetry.MAX_POINTS + 1),
    ],
)
def test_window_and_points_out_of_range(
    session: Session, since_ms: int, until_ms: int, points: int
) -> None:
    append(session, readings("power", start_ms=T0, count=1))

    with pytest.raises(InvalidInput):
        query(session, since_ms=since_ms, until_ms=until_ms, points=points)


_device_numbers = count()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],  # one new device per example
)
@given(
    rows=st.dictionaries(
        keys=st.integers(min_value=-5_000, max_value=20_000),
        values=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda v: round(v, 3)),
        max_size=60,
    ),
    since_offset=st.integers(min_value=-2_000, max_value=15_000),
    length=st.integers(min_value=1, max_value=20_000),
    points=st.integers(min_value=1, max_value=40),
)
def test_downsampling_matches_a_reference(
    any_core: Core, rows: dict[int, float], since_offset: int, length: int, points: int
) -> None:
    device_id = f"prop-{next(_device_numbers)}"
    since_ms, until_ms = T0 + since_offset, T0 + since_offset + length
    batch = [ReadingIn(metric="power", ts=T0 + ts, value=v) for ts, v in rows.items()]
    with any_core.db.writer() as session:
        make_device(session, id=device_id)
        append(session, [*batch, ReadingIn(metric="power", ts=T0 - 10**9, value=0.0)], device_id)

        window = query(
            session, since_ms=since_ms, until_ms=until_ms, points=points, device_id=device_id
        )

    expected = reference(
        {r.ts: r.value for r in batch}, since_ms=since_ms, until_ms=until_ms, points=points
    )
    got = as_tuples(window.points)
    assert len(got) <= points
    assert [(ts, lo, hi, n) for ts, lo, hi, _, n in got] == [
        (ts, lo, hi, n) for ts, lo, hi, _, n in expected
    ]
    assert [avg for *_, avg, _ in got] == pytest.approx(
        [avg for *_, avg, _ in expected], rel=1e-9, abs=1e-6
    )
    assert window.rows == sum(n for *_, n in expected)


def test_series_window_times_are_aware_utc(session: Session) -> None:
    append(session, readings("power", start_ms=T0, count=1))

    window = query(session, since_ms=T0, until_ms=T0 + 1000)

    assert window.since.utcoffset() == timedelta(0)
    assert window.until - window.since == timedelta(seconds=1)


MIN_MS = 60_000
HOUR_MS = 3_600_000


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.dictionaries(
        keys=st.integers(min_value=0, max_value=3 * DAY_MS),
        values=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda v: round(v, 3)),
        max_size=80,
    ),
    since_offset=st.integers(min_value=0, max_value=2 * DAY_MS),
    length=st.integers(min_value=HOUR_MS, max_value=2 * DAY_MS),
    points=st.integers(min_value=5, max_value=60),
    rolled_until=st.integers(min_value=0, max_value=3 * DAY_MS),
    late=st.lists(st.integers(min_value=0, max_value=3 * DAY_MS), max_size=5),
)
def test_tier_answers_equal_the_raw_answer_in_the_tiers_buckets(
    core: Core,
    rows: dict[int, float],
    since_offset: int,
    length: int,
    points: int,
    rolled_until: int,
    late: list[int],
) -> None:
    """Whatever is rolled up and whatever arrived late since, a window answered from the
    rollup tiers equals the raw readings bucketed on the tier's grid."""
    device_id = f"tier-{next(_device_numbers)}"
    batch = [ReadingIn(metric="power", ts=T0 + ts, value=v) for ts, v in rows.items()]
    extra = [ReadingIn(metric="power", ts=T0 + ts + 1, value=1.5) for ts in late]
    with core.db.writer() as session:
        make_device(session, id=device_id)
        append(session, [*batch, ReadingIn(metric="power", ts=T0 - 1, value=0.0)], device_id)
    data_jobs.roll_up(core.db, FakeClock(from_ms(T0 + rolled_until)), raw_retention_days=7)
    with core.db.writer() as session:
        append(session, extra, device_id)
        stored = {r.ts: r.value for r in extra}
        stored.update({r.ts: r.value for r in batch})  # the first copy wins
        stored[T0 - 1] = 0.0
        since_ms, until_ms = T0 + since_offset, T0 + since_offset + length

        window = query(
            session, since_ms=since_ms, until_ms=until_ms, points=points, device_id=device_id
        )

    assert window.tier in ("1m", "1h")
    assert len(window.points) <= points
    unit = MIN_MS if window.tier == "1m" else HOUR_MS
    expected = reference(
        stored,
        since_ms=since_ms,
        until_ms=until_ms,
        points=points,
        grid=(since_ms - since_ms % unit, window.bucket_ms),
    )
    got = as_tuples(window.points)
    assert window.bucket_ms % unit == 0
    assert [(ts, lo, hi, n) for ts, lo, hi, _, n in got] == [
        (ts, lo, hi, n) for ts, lo, hi, _, n in expected
    ]


def test_a_short_window_older_than_the_raw_readings_comes_from_the_minutes(core: Core) -> None:
    """An hour from last month, after the raw readings were purged: the 1-minute tier."""
    with core.db.writer() as session:
        make_device(session, id="meter-9")
        append(session, readings("power", start_ms=T0, count=3600, step_ms=1000), "meter-9")
    data_jobs.roll_up(core.db, FakeClock(from_ms(T0 + DAY_MS)), raw_retention_days=7)
    with core.db.writer() as session:
        session.execute(text("DELETE FROM reading"))  # what the retention purge does

    with core.db.reader() as session:
        window = query(session, since_ms=T0, until_ms=T0 + HOUR_MS, points=500, device_id="meter-9")

    assert window.tier == "1m"
    assert window.rows == 3600
    assert len(window.points) == 60


def test_a_device_that_began_reporting_inside_the_window_keeps_raw_resolution(
    session: Session,
) -> None:
    append(session, readings("power", start_ms=T0 + 600_000, count=60, step_ms=1000))

    window = query(session, since_ms=T0, until_ms=T0 + HOUR_MS, points=500)

    assert window.tier == "raw"
    assert window.bucket_ms == 7200
