"""The device page's charts: the time ranges offered, and one series window (downsampled
in SQL to about a chart's width of buckets) turned into echarts options: the mean as a line
over a band from the minimum to the maximum of each bucket."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from core.models import SeriesWindow

POINTS = 300
"""Buckets asked for per chart: about one per horizontal pixel pair of a phone screen."""
RANGES: dict[str, timedelta] = {
    "15 min": timedelta(minutes=15),
    "1 h": timedelta(hours=1),
    "6 h": timedelta(hours=6),
    "24 h": timedelta(hours=24),
    "7 d": timedelta(days=7),
    "30 d": timedelta(days=30),
}
DEFAULT_RANGE = "1 h"


def chart_options(window: SeriesWindow) -> dict[str, Any]:
    """echarts options for one series: a min-max band (a transparent base plus a stacked
    area of height max - min) and the mean line, on a time axis covering the window."""
    lows = [[p.ts, p.min] for p in window.points]
    spans = [[p.ts, p.max - p.min] for p in window.points]
    means = [[p.ts, round(p.avg, 6)] for p in window.points]
    unit = window.unit or ""
    return {
        "animation": False,
        "grid": {"left": 48, "right": 16, "top": 16, "bottom": 24},
        "tooltip": {"trigger": "axis"},
        "xAxis": {
            "type": "time",
            "min": int(window.since.timestamp() * 1000),
            "max": int(window.until.timestamp() * 1000),
        },
        "yAxis": {"type": "value", "scale": True, "name": unit},
        "series": [
            {
                "name": "min",
                "type": "line",
                "data": lows,
                "stack": "band",
                "showSymbol": False,
                "lineStyle": {"opacity": 0},
                "tooltip": {"show": False},
            },
            {
                "name": "max - min",
                "type": "line",
                "data": spans,
                "stack": "band",
                "showSymbol": False,
                "lineStyle": {"opacity": 0},
                "areaStyle": {"opacity": 0.25},
                "tooltip": {"show": False},
            },
            {"name": "mean", "type": "line", "data": means, "showSymbol": False},
        ],
    }


def format_value(value: float, unit: str | None) -> str:
    text = f"{value:.4g}" if abs(value) < 1e6 else f"{value:.3e}"
    return f"{text} {unit}" if unit else text
