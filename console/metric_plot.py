"""One series of a device as a terminal chart (textual-plotext): the mean as a bright line
between a dim min and max line (the band), or for an on/off series a step line with
"off" / "on" on its axis; the unit, newest value and what the lines are in the title (a
legend would cover the data); times on the x axis as ages ("-10m", "now"), the same in
every time zone.

The metric name and unit come from a device: escape sequences are stripped before they
reach plotext, whose output is read back as ANSI."""

from __future__ import annotations

from datetime import datetime

from textual_plotext import PlotextPlot

from console.text import strip_ansi
from core.clock import to_ms
from core.models import Point
from core.services.charts import ChartSeries, ChartWindow, runs

MEAN_COLOUR = "cyan+"
BAND_COLOUR = "gray"
ON_OFF_COLOUR = "orange+"
TICKS = 5


class MetricPlot(PlotextPlot):
    """A chart of one series; ``draw`` replaces what it shows."""

    DEFAULT_CSS = """
    MetricPlot { height: 11; width: 1fr; }
    MetricPlot.on-off { height: 6; }
    """

    def __init__(self, metric: str) -> None:
        super().__init__(name=metric, classes="plot")
        self.metric = metric
        self.series: ChartSeries | None = None
        self.drawn: list[str] = []
        """What each line handed to plotext is ("max", "min", "mean" or "on"), in order."""

    def draw(
        self, series: ChartSeries, window: ChartWindow, latest: float | None, now: datetime
    ) -> None:
        self.series = series
        self.set_class(series.boolean, "on-off")
        plt = self.plt
        plt.clear_figure()
        self.drawn = []
        plt.title(title(series, latest))
        data = series.window
        start = to_ms(window.since)
        span_s = (to_ms(window.until) - start) / 1000
        plt.xlim(0, span_s)
        ticks = [span_s * i / (TICKS - 1) for i in range(TICKS)]
        now_ms = to_ms(now)
        plt.xticks(ticks, [age_label(now_ms, start + t * 1000) for t in ticks])
        if series.boolean:
            self._draw_on_off(data.points, data.bucket_ms, start)
        else:
            self._draw_band(data.points, data.bucket_ms, start)
        self.refresh()

    def _draw_band(self, points: list[Point], bucket_ms: int, start: int) -> None:
        plt = self.plt
        for run in runs(points, bucket_ms):
            xs = [(p.ts - start) / 1000 for p in run]
            plt.plot(xs, [p.max for p in run], color=BAND_COLOUR)
            plt.plot(xs, [p.min for p in run], color=BAND_COLOUR)
            plt.plot(xs, [p.avg for p in run], color=MEAN_COLOUR)
            self.drawn += ["max", "min", "mean"]

    def _draw_on_off(self, points: list[Point], bucket_ms: int, start: int) -> None:
        """Steps of "on at some time in the bucket" (its max): each value holds until the
        next bucket, the last to the end of its own."""
        plt = self.plt
        plt.ylim(-0.1, 1.1)
        plt.yticks([0, 1], ["off", "on"])
        for run in runs(points, bucket_ms):
            xs: list[float] = []
            ys: list[float] = []
            for i, point in enumerate(run):
                end = run[i + 1].ts if i + 1 < len(run) else point.ts + bucket_ms
                xs += [(point.ts - start) / 1000, (end - start) / 1000]
                ys += [point.max, point.max]
            plt.plot(xs, ys, color=ON_OFF_COLOUR)
            self.drawn.append("on")


def title(series: ChartSeries, latest: float | None) -> str:
    unit = strip_ansi(series.unit) if series.unit else ""
    text = strip_ansi(series.metric) + (f" ({unit})" if unit else "")
    if latest is not None:
        shown = ("on" if latest >= 1 else "off") if series.boolean else f"{latest:.4g}"
        text += f"  now {shown}" + (f" {unit}" if unit and not series.boolean else "")
    if series.boolean:
        return text + "  on/off"
    return text + "  mean, min-max"


def age_label(now_ms: int, at_ms: float) -> str:
    """How long before now ``at_ms`` is, short: "now", "-45s", "-10m", "-3h", "-2d"."""
    seconds = round((now_ms - at_ms) / 1000)
    if seconds <= 0:
        return "now"
    for size, suffix in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            value = seconds / size
            return f"-{value:.0f}{suffix}" if value >= 10 else f"-{value:.2g}{suffix}"
    return f"-{seconds}s"
