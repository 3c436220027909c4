"""What a device's charts show, the same in both consoles: the windows offered, the window
that holds the device's data (the default, so fresh data is not squeezed against the right
edge of a fixed hour), and each series' buckets with what a chart needs to draw them
honestly: the unit for its axis, whether it is an on/off series (drawn as steps), and buckets
wide enough to hold several readings so that the min-max band has a height.

The buckets come from ``telemetry.query_series`` (its public API; it picks the storage tier).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

from sqlalchemy import func
from sqlmodel import Session, SQLModel, col, select

from core.clock import from_ms, to_ms
from core.models import Point, Reading, Series, SeriesWindow
from core.services import telemetry
from core.services.devices import find_device

FIT = "fit"
"""The window fitted to the device's data: from its first to its last reading."""
WINDOWS: dict[str, timedelta] = {
    "15 min": timedelta(minutes=15),
    "1 h": timedelta(hours=1),
    "6 h": timedelta(hours=6),
    "24 h": timedelta(hours=24),
    "7 d": timedelta(days=7),
    "30 d": timedelta(days=30),
    "1 y": timedelta(days=365),
}
"""The fixed windows offered, each ending now (both consoles offer whatever is listed).
``telemetry.query_series`` answers the long ones from its 1-minute and 1-hour rollup tiers,
so a month or a year costs about what a day does."""
FIT_LONGEST = timedelta(hours=24)
"""The fitted window (the default, opened with every device page) spans at most this, the
newest part: a day is what raw rows answer quickly; longer spans are a choice away."""
FIT_SHORTEST = timedelta(seconds=10)
FALLBACK = "1 h"
"""The window shown for a device with no readings yet."""
POINTS = 300
MIN_POINTS = 40
READINGS_PER_BUCKET = 3
"""Buckets are made wider (down to ``MIN_POINTS``) until they hold about this many readings:
a bucket of one reading has no spread, and a band of zero height is no band."""
GAP_FACTOR = 3
"""A line breaks where the data pauses for this many times its usual spacing (and more than
this many buckets): a gap in the data shows as one, a device's cadence does not."""

DISPLAY_UNITS = {"Cel": "°C", "[degF]": "°F", "Far": "°F", "Hz": "Hz"}
"""How a reported unit code (UCUM, as devices send them) reads on an axis."""
NAME_UNITS = {
    "rssi": "dBm",
    "humidity": "%",
    "battery": "%",
    "co2": "ppm",
    "fps": "frames/s",
}
SUFFIX_UNITS = {
    "_w": "W",
    "_kw": "kW",
    "_wh": "Wh",
    "_kwh": "kWh",
    "_v": "V",
    "_a": "A",
    "_db": "dB",
    "_dbm": "dBm",
    "_kbps": "kbit/s",
    "_mbps": "Mbit/s",
    "_pct": "%",
    "_percent": "%",
    "_ms": "ms",
    "_s": "s",
    "_ppm": "ppm",
}
"""Units for series that report none (flat JSON carries no units, PROTOCOL.md): only
names whose unit cannot be anything else; anything else stays unit-less."""


class ChartWindow(SQLModel):
    """The time range the charts cover, and which choice it came from."""

    name: str
    since: datetime
    until: datetime
    fitted: bool = False


class ChartSeries(SQLModel):
    """One series ready to draw: its buckets, the unit for its axis (``None`` when neither
    the device nor the metric's name says one) and whether it only takes 0 and 1."""

    window: SeriesWindow
    unit: str | None
    boolean: bool

    @property
    def metric(self) -> str:
        return self.window.metric


def display_unit(metric: str, unit: str | None) -> str | None:
    """The unit to put on a series' axis: the reported one (in its usual symbol), else one
    read from a metric name that cannot mean anything else, else none."""
    if unit:
        return DISPLAY_UNITS.get(unit, unit)
    name = metric.lower().rsplit(".", 1)[-1]
    if name in NAME_UNITS:
        return NAME_UNITS[name]
    for suffix, symbol in sorted(SUFFIX_UNITS.items(), key=lambda item: -len(item[0])):
        if name.endswith(suffix):
            return symbol
    return None


def is_boolean(window: SeriesWindow) -> bool:
    """An on/off series: every bucket's min and max is 0 or 1 (flat JSON sends booleans as
    1.0 / 0.0), and it has readings. A series with a unit is never taken for one."""
    return bool(window.points) and all(
        p.min in (0.0, 1.0) and p.max in (0.0, 1.0) for p in window.points
    )


def data_extent(*, session: Session, device_id: str) -> tuple[int, int] | None:
    """The first and last reading time (ms) over all the device's series; ``None`` with no
    readings. Two seeks on the ``(series_id, ts)`` key per series.

    Reads the raw tier; once raw rows are purged after their retention (issue 17), the
    fitted window covers what raw still holds, which the fixed windows go beyond."""
    device = find_device(session, device_id)
    ids = session.exec(select(Series.id).where(Series.device_id == device.id)).all()
    first: int | None = None
    last: int | None = None
    for series_id in ids:
        lo = session.exec(
            select(func.min(col(Reading.ts))).where(Reading.series_id == series_id)
        ).one()
        hi = session.exec(
            select(func.max(col(Reading.ts))).where(Reading.series_id == series_id)
        ).one()
        if lo is None or hi is None:
            continue
        first = lo if first is None else min(first, lo)
        last = hi if last is None else max(last, hi)
    if first is None or last is None:
        return None
    return first, last


def fit_window(*, first_ms: int, last_ms: int, now: datetime) -> tuple[datetime, datetime]:
    """A window that holds readings from ``first_ms`` to ``last_ms`` with a small margin:
    it ends now when the last reading is that recent (a live device grows to the right) and
    at the last reading otherwise; at least ``FIT_SHORTEST`` wide, at most ``FIT_LONGEST``
    (then the newest part)."""
    now_ms = to_ms(now)
    margin = max(1000, (last_ms - first_ms) // 50)
    until = now_ms if last_ms <= now_ms <= last_ms + margin else last_ms + margin
    since = first_ms - margin
    longest = int(FIT_LONGEST.total_seconds() * 1000)
    shortest = int(FIT_SHORTEST.total_seconds() * 1000)
    since = max(since, until - longest)
    since = min(since, until - shortest)
    return from_ms(since), from_ms(until)


def chart_window(*, session: Session, device_id: str, name: str, now: datetime) -> ChartWindow:
    """The window called ``name``: ``FIT`` or one of ``WINDOWS`` (ending now)."""
    if name == FIT:
        extent = data_extent(session=session, device_id=device_id)
        if extent is not None:
            since, until = fit_window(first_ms=extent[0], last_ms=extent[1], now=now)
            return ChartWindow(name=FIT, since=since, until=until, fitted=True)
        name = FALLBACK
    span = WINDOWS.get(name, WINDOWS[FALLBACK])
    # until is exclusive: one millisecond on, so a reading stamped now is in.
    until = now + timedelta(milliseconds=1)
    return ChartWindow(name=name, since=until - span, until=until)


def chart_series(
    *, session: Session, device_id: str, window: ChartWindow, points: int = POINTS
) -> list[ChartSeries]:
    """Every series of the device over ``window``, in buckets that hold several readings
    each where there are enough readings for that."""
    out = []
    for series in telemetry.list_series(session=session, device_id=device_id):
        buckets = _query(session, device_id, series.metric, window, points)
        wanted = max(MIN_POINTS, buckets.rows // READINGS_PER_BUCKET)
        sparse = buckets.rows < len(buckets.points) * READINGS_PER_BUCKET
        if sparse and wanted < points:
            buckets = _query(session, device_id, series.metric, window, wanted)
        unit = display_unit(series.metric, series.unit)
        out.append(
            ChartSeries(window=buckets, unit=unit, boolean=unit is None and is_boolean(buckets))
        )
    return out


def _query(
    session: Session, device_id: str, metric: str, window: ChartWindow, points: int
) -> SeriesWindow:
    return telemetry.query_series(
        session=session,
        device_id=device_id,
        metric=metric,
        since=window.since,
        until=window.until,
        points=points,
    )


def runs(points: list[Point], bucket_ms: int) -> list[list[Point]]:
    """The points in runs without a gap: split where two neighbours are further apart than
    ``GAP_FACTOR`` times both the bucket width and the median spacing of the points."""
    if not points:
        return []
    spacings = sorted(b.ts - a.ts for a, b in pairwise(points))
    usual = spacings[len(spacings) // 2] if spacings else bucket_ms
    limit = GAP_FACTOR * max(bucket_ms, usual)
    out: list[list[Point]] = [[points[0]]]
    for previous, point in pairwise(points):
        if point.ts - previous.ts > limit:
            out.append([point])
        else:
            out[-1].append(point)
    return out
