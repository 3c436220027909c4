"""The device page's charts: the windows offered (``core.services.charts``: one fitted to
the data, the default, and fixed ones ending now) and one series turned into echarts
options: the mean as a line over a shaded band from each bucket's minimum to its maximum,
the unit on the value axis, and on/off series as steps.

No device text goes into HTML here: the unit is drawn by echarts on its canvas (the value
axis's name; the title above says it too), and the tooltip is built from fixed words and numbers."""

from __future__ import annotations

from typing import Any

from core.models import Point, SeriesWindow
from core.services.charts import FIT, WINDOWS, ChartSeries, ChartWindow, runs

RANGES = [FIT, *WINDOWS]
"""The window picker's choices, the fitted one first."""
DEFAULT_RANGE = FIT
RANGE_LABELS = {FIT: "Fit data", **{name: name for name in WINDOWS}}
BAND_COLOUR = "#1976d2"
BOOLEAN_COLOUR = "#ef6c00"

TOOLTIP = """(items) => {
  if (!items.length) return '';
  const num = (v) => (v === null || v === undefined) ? '—' : Number(v).toPrecision(4) * 1;
  const at = new Date(items[0].value[0]).toLocaleString();
  const rows = items.filter((p) => p.value.length > 2)
    .map((p) => `${p.seriesName}: ${num(p.value[2])}`);
  return [at, ...rows].join('<br>');
}"""
"""Each series' data is ``[ts, drawn, shown]``: the tooltip shows the third (the real value,
not the band's stacked height), and only numbers and fixed names reach its HTML."""
ON_OFF_LABEL = "(value) => (value >= 1 ? 'on' : 'off')"


def chart_options(series: ChartSeries, window: ChartWindow) -> dict[str, Any]:
    """echarts options for one series over the window the page shows."""
    data = series.window
    x_axis = {
        "type": "time",
        "min": int(window.since.timestamp() * 1000),
        "max": int(window.until.timestamp() * 1000),
    }
    options: dict[str, Any] = {
        "animation": False,
        "grid": {"left": 8, "right": 16, "top": 28, "bottom": 8, "containLabel": True},
        "tooltip": {"trigger": "axis", ":formatter": TOOLTIP},
        "xAxis": x_axis,
    }
    if series.boolean:
        options["yAxis"] = {
            "type": "value",
            "min": 0,
            "max": 1,
            "interval": 1,
            "axisLabel": {":formatter": ON_OFF_LABEL},
        }
        options["series"] = _steps(data)
        return options
    unit = series.unit
    options["yAxis"] = {
        "type": "value",
        "scale": True,
        "name": unit or "",
        "nameTextStyle": {"align": "left", "fontWeight": "bold"},
    }
    options["series"] = _band_and_mean(data)
    return options


def _band_and_mean(data: SeriesWindow) -> list[dict[str, Any]]:
    """A band from min to max (a transparent base at the minimum and, stacked on it, an
    area as high as max - min; stacking ``all`` so negative values stack right) and the
    mean line on top, each broken where the data has a gap."""
    lows: list[list[Any]] = []
    spans: list[list[Any]] = []
    means: list[list[Any]] = []
    for point, gap_before in _with_gaps(data):
        if gap_before is not None:
            for rows in (lows, spans, means):
                rows.append([gap_before, None])
        lows.append([point.ts, point.min, point.min])
        spans.append([point.ts, point.max - point.min, point.max])
        means.append([point.ts, round(point.avg, 6), round(point.avg, 6)])
    band = {
        "type": "line",
        "stack": "band",
        "stackStrategy": "all",
        "showSymbol": False,
        "symbol": "none",
        "connectNulls": False,
    }
    return [
        {**band, "name": "min", "data": lows, "lineStyle": {"opacity": 0}},
        {
            **band,
            "name": "max",
            "data": spans,
            "lineStyle": {"opacity": 0},
            "areaStyle": {"color": BAND_COLOUR, "opacity": 0.28},
        },
        {
            "name": "mean",
            "type": "line",
            "data": means,
            "showSymbol": len(means) < 3,
            "connectNulls": False,
            "color": BAND_COLOUR,
            "lineStyle": {"width": 2},
        },
    ]


def _steps(data: SeriesWindow) -> list[dict[str, Any]]:
    """An on/off series as steps: shaded light where it was on at some time in a bucket
    (its max), dark where it was on throughout (its min); each value holds until the next
    bucket, the last one to the end of its bucket."""
    any_on: list[list[Any]] = []
    all_on: list[list[Any]] = []
    for point, gap_before in _with_gaps(data):
        if gap_before is not None:
            any_on.append([gap_before, None])
            all_on.append([gap_before, None])
        any_on.append([point.ts, point.max, point.max])
        all_on.append([point.ts, point.min, point.min])
    if data.points:
        last = data.points[-1]
        end = last.ts + data.bucket_ms
        any_on.append([end, last.max])
        all_on.append([end, last.min])
    step = {"type": "line", "step": "end", "showSymbol": False, "connectNulls": False}
    return [
        {
            **step,
            "name": "on at times",
            "data": any_on,
            "color": BOOLEAN_COLOUR,
            "areaStyle": {"opacity": 0.25},
        },
        {
            **step,
            "name": "on throughout",
            "data": all_on,
            "color": BOOLEAN_COLOUR,
            "areaStyle": {"opacity": 0.6},
            "lineStyle": {"width": 0},
        },
    ]


def _with_gaps(data: SeriesWindow) -> list[tuple[Point, int | None]]:
    """Each point with the time of a break before it where a gap in the data ends a run
    (``charts.runs``): echarts breaks a line at a null."""
    out: list[tuple[Point, int | None]] = []
    for index, run in enumerate(runs(data.points, data.bucket_ms)):
        out.append((run[0], None if index == 0 else run[0].ts - 1))
        out.extend((point, None) for point in run[1:])
    return out


def format_value(value: float, unit: str | None, *, on_off: bool = False) -> str:
    if on_off:
        return "on" if value >= 1 else "off"
    text = f"{value:.4g}" if abs(value) < 1e6 else f"{value:.3e}"
    return f"{text} {unit}" if unit else text


def describe(series: ChartSeries, window: ChartWindow) -> str:
    """The caption under a chart's title: how many readings, over what, drawn how."""
    data = series.window
    if window.fitted:
        span = f"from {_clock(data.since)} to {_clock(data.until)} (fitted to the data)"
    else:
        span = f"in the last {window.name}"
    drawn = "on/off as steps" if series.boolean else "mean with min-max band"
    return f"{data.rows} readings {span}, {drawn}"


def _clock(moment: Any) -> str:
    return moment.astimezone().strftime("%d %b %H:%M")
