"""What both consoles' device charts show: the window fitted to the data (so fresh data is
not squeezed against the right edge of a fixed hour), units for the axis, on/off series,
and buckets wide enough that the min-max band has a height."""

from __future__ import annotations

from datetime import timedelta

from core.clock import from_ms, to_ms
from core.models import Point
from core.runtime import Core
from core.services import telemetry
from core.services.charts import (
    FIT,
    FIT_LONGEST,
    FIT_SHORTEST,
    MIN_POINTS,
    chart_series,
    chart_window,
    data_extent,
    display_unit,
    fit_window,
    runs,
)
from tests.factories import actor, make_device, readings

T0 = 1_770_890_400_000
MINUTE = 60_000


def _append(session, metric: str, start_ms: int, values: list[float], **kw) -> None:
    telemetry.append_readings(
        session=session,
        device_id="meter-1",
        readings=readings(
            metric, start_ms=start_ms, count=len(values), value_fn=values.__getitem__, **kw
        ),
        actor=actor(),
    )


def test_a_fresh_device_s_window_is_its_few_minutes_not_the_last_hour() -> None:
    now = from_ms(T0)
    since, until = fit_window(first_ms=T0 - 2 * MINUTE, last_ms=T0 - 1000, now=now)
    assert until == now  # live: it ends now, and grows to the right as data comes
    assert timedelta(minutes=2) <= until - since < timedelta(minutes=3)


def test_a_silent_device_s_window_ends_at_its_last_reading() -> None:
    now = from_ms(T0)
    since, until = fit_window(first_ms=T0 - 50 * MINUTE, last_ms=T0 - 30 * MINUTE, now=now)
    assert to_ms(since) <= T0 - 50 * MINUTE
    assert T0 - 30 * MINUTE < to_ms(until) < T0 - 29 * MINUTE


def test_the_fitted_window_is_never_shorter_than_the_shortest_nor_longer_than_the_longest() -> None:
    now = from_ms(T0)
    since, until = fit_window(first_ms=T0, last_ms=T0, now=now)
    assert until - since >= FIT_SHORTEST
    assert to_ms(since) < T0 <= to_ms(until)
    since, until = fit_window(first_ms=T0 - 400 * 86_400_000, last_ms=T0, now=now)
    assert until - since == FIT_LONGEST


def test_units_come_from_the_device_or_from_a_name_that_cannot_mean_anything_else() -> None:
    assert display_unit("temperature", "Cel") == "°C"
    assert display_unit("power", "W") == "W"
    assert display_unit("power_w", None) == "W"
    assert display_unit("hvac.power_w", None) == "W"
    assert display_unit("rssi", None) == "dBm"
    assert display_unit("bitrate_kbps", None) == "kbit/s"
    assert display_unit("temperature", None) is None  # °C or °F: not guessed


def test_the_fit_window_spans_every_series_and_falls_back_to_an_hour(core: Core) -> None:
    now = from_ms(T0)
    with core.db.writer() as session:
        make_device(session, id="meter-1")
        empty = chart_window(session=session, device_id="meter-1", name=FIT, now=now)
        assert (empty.fitted, empty.until - empty.since) == (False, timedelta(hours=1))
        _append(session, "power", T0 - 10 * MINUTE, [1.0, 2.0])
        _append(session, "voltage", T0 - 3 * MINUTE, [230.0])
        assert data_extent(session=session, device_id="meter-1") == (
            T0 - 10 * MINUTE,
            T0 - 3 * MINUTE,
        )
        window = chart_window(session=session, device_id="meter-1", name=FIT, now=now)
    assert window.fitted
    assert to_ms(window.since) <= T0 - 10 * MINUTE
    assert window.until - window.since < timedelta(minutes=12)


def test_sparse_buckets_are_widened_until_the_band_has_height(core: Core) -> None:
    """Readings every 10 s over an hour of 300 buckets would be one per bucket (no spread);
    the buckets widen so that each holds several and min < max shows."""
    now = from_ms(T0)
    values = [20.0 + (i % 2) * 5 for i in range(360)]
    with core.db.writer() as session:
        make_device(session, id="meter-1")
        _append(session, "power", T0 - 3600_000, values, step_ms=10_000, unit="W")
        window = chart_window(session=session, device_id="meter-1", name="1 h", now=now)
        (series,) = chart_series(session=session, device_id="meter-1", window=window)
    assert MIN_POINTS <= len(series.window.points) <= 360 // 3
    assert all(p.max - p.min == 5.0 for p in series.window.points)
    assert series.unit == "W"
    assert not series.boolean


def test_an_on_off_series_is_told_apart_from_a_measured_one(core: Core) -> None:
    now = from_ms(T0)
    with core.db.writer() as session:
        make_device(session, id="meter-1")
        _append(session, "motion", T0 - 30 * MINUTE, [float(i % 3 == 0) for i in range(30)])
        _append(session, "power_w", T0 - 30 * MINUTE, [float(i % 2) for i in range(30)])
        window = chart_window(session=session, device_id="meter-1", name=FIT, now=now)
        charts = {
            s.metric: s for s in chart_series(session=session, device_id="meter-1", window=window)
        }
    assert charts["motion"].boolean
    assert not charts["power_w"].boolean  # it has a unit: 0 W and 1 W are measurements


def _points(times: list[int]) -> list[Point]:
    return [Point(ts=t, min=1.0, max=1.0, avg=1.0, count=1) for t in times]


def test_a_line_breaks_at_a_gap_not_at_the_device_s_cadence() -> None:
    every_5s = _points([0, 5000, 10_000, 15_000, 20_000])
    assert len(runs(every_5s, bucket_ms=500)) == 1  # sparse buckets, regular readings
    paused = _points([0, 5000, 10_000, 60_000, 65_000])
    assert [len(run) for run in runs(paused, bucket_ms=500)] == [3, 2]
    assert runs([], bucket_ms=500) == []
