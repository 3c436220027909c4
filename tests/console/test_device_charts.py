"""The terminal device screen's charts (issue 15 item 7): a real chart per series
(textual-plotext) over the window that holds the data, mean between min and max lines, on/off
series as steps, the unit in the title and on the axis, and no escape sequence from a device
reaching the terminal."""

from __future__ import annotations

import pytest

from console.app import ConsoleApp
from console.device_screen import DeviceScreen
from console.metric_plot import MetricPlot
from core.clock import to_ms
from core.runtime import Core
from core.services import telemetry
from tests.console.conftest import login, screen_text, wait_for
from tests.factories import FakeClock, actor, readings

pytestmark = pytest.mark.asyncio


def _append(core: Core, clock: FakeClock, metric: str, values: list[float], **kw) -> None:
    start = to_ms(clock.now()) - 5000 * len(values)
    with core.db.writer() as session:
        telemetry.append_readings(
            session=session,
            device_id="meter-1",
            readings=readings(
                metric,
                start_ms=start,
                count=len(values),
                step_ms=5000,
                value_fn=values.__getitem__,
                **kw,
            ),
            actor=actor(),
        )


def _lines(plot: MetricPlot) -> dict[str, list[float]]:
    """The values of the lines plotext holds for the plot, by what each line is (the runs
    of a line broken by a gap joined)."""
    lines: dict[str, list[float]] = {}
    for name, ys in zip(plot.drawn, plot.plt._active.monitor.y, strict=True):
        lines.setdefault(name, []).extend(ys)
    return lines


async def _device(app: ConsoleApp, pilot) -> DeviceScreen:
    await login(pilot, "otto")
    await pilot.press("down", "enter")  # meter-1
    await wait_for(pilot, lambda: isinstance(app.screen, DeviceScreen), "the device")
    screen = app.screen
    assert isinstance(screen, DeviceScreen)
    return screen


def _plot(screen: DeviceScreen, metric: str) -> MetricPlot:
    return next(p for p in screen.query(MetricPlot) if p.metric == metric)


async def test_each_series_is_a_chart_of_mean_min_and_max(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _device(app, pilot)
        await wait_for(pilot, lambda: screen.query(MetricPlot), "the chart")
        plot = _plot(screen, "power_w")
        await wait_for(pilot, lambda: plot.series is not None, "its data")
        lines = _lines(plot)
        assert set(lines) == {"max", "min", "mean"}
        assert all(
            lo <= mean <= hi
            for lo, mean, hi in zip(lines["min"], lines["mean"], lines["max"], strict=True)
        )
        assert min(lines["min"]) == 100 and max(lines["max"]) == 106  # the fixture's 100 + i % 7
        monitor = plot.plt._active.monitor
        left, right = monitor.xlim[0]
        assert right - left < 120  # about the minute of data, not 15 min
        assert max(monitor.x[0]) > 0.9 * right  # and it reaches across the chart
        text = screen_text(app)
        assert "power_w (W)  now 103 W  mean, min-max" in text
        assert "-1m" in text and "now" in text  # ages on the time axis
        assert " fit 1m " in text  # the fitted window and its width


async def test_an_on_off_series_is_a_step_line(core: Core, fleet, clock: FakeClock) -> None:
    _append(core, clock, "motion", [float(i % 4 == 0) for i in range(24)])
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 50)) as pilot:
        screen = await _device(app, pilot)
        await wait_for(pilot, lambda: len(screen.query(MetricPlot)) == 2, "both charts")
        plot = _plot(screen, "motion")
        await wait_for(pilot, lambda: plot.series is not None, "its data")
        (steps,) = _lines(plot).values()
        assert set(steps) <= {0.0, 1.0}
        xs = plot.plt._active.monitor.x[0]
        assert len(xs) == len(steps) and len(xs) % 2 == 0
        assert all(xs[i] == xs[i + 1] for i in range(1, len(xs) - 1, 2))  # vertical risers
        assert plot.has_class("on-off")
        assert "motion  now off  on/off" in screen_text(app)


async def test_escape_sequences_in_a_metric_never_reach_the_terminal(
    core: Core, fleet, clock: FakeClock
) -> None:
    _append(core, clock, "evil\x1b[2J\x1b]0;pwned\x07", [1.0, 2.0], unit="V\x1b[31m")
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 50)) as pilot:
        screen = await _device(app, pilot)
        await wait_for(pilot, lambda: len(screen.query(MetricPlot)) == 2, "both charts")
        plot = next(p for p in screen.query(MetricPlot) if p.metric.startswith("evil"))
        await wait_for(pilot, lambda: plot.series is not None, "its data")
        assert "evil (V)  now 2 V" in screen_text(app)
        assert "pwned" not in screen_text(app)
