"""The log tail (live, pause, filter, bounded) and a device's detail screen (charts over
a range, sending a command, a confirmation before one that cannot be undone)."""

from __future__ import annotations

import pytest
from textual.widgets import RichLog, Select

from console import logs_screen
from console.app import ConsoleApp
from console.command_dialog import CommandDialog
from console.device_screen import DeviceScreen
from console.dialogs import ConfirmDialog
from console.metric_plot import MetricPlot
from core.runtime import Core
from core.services import commands
from tests.console.conftest import add_logs, login, screen_text, show, wait_for
from tests.factories import FakeClock

pytestmark = pytest.mark.asyncio


def tail(app: ConsoleApp) -> RichLog:
    return app.screen.query_one(RichLog)


async def test_tail_follows_pauses_and_filters(core: Core, fleet, clock: FakeClock) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "4", "logs")
        assert len(tail(app).lines) == 2
        add_logs(core, clock, [("dhcp", "DHCPACK(br-lan) 10.0.0.43 sensor-3")])
        await wait_for(pilot, lambda: len(tail(app).lines) == 3, "the new line")
        await pilot.press("space")
        assert "paused" in screen_text(app)
        add_logs(core, clock, [("wifi", "wlan1: STA cc:dd associated")])
        await wait_for(pilot, lambda: "1 new while paused" in screen_text(app), "the count")
        assert len(tail(app).lines) == 3
        await pilot.press("space")
        await wait_for(pilot, lambda: len(tail(app).lines) == 4, "the paused line")
        await pilot.press("slash", *"wlan")
        await wait_for(pilot, lambda: len(tail(app).lines) == 2, "the filter")
        assert "filtered" in screen_text(app)


async def test_tail_keeps_a_bounded_buffer(
    core: Core, fleet, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs_screen, "BUFFER", 50)
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "4", "logs")
        screen = app.screen
        screen.buffer = logs_screen.deque(screen.buffer, maxlen=50)
        add_logs(core, clock, [("generic", f"line {i}") for i in range(300)])
        await wait_for(pilot, lambda: "line 299" in [b.message for b in screen.buffer], "lines")
        assert len(screen.buffer) == 50
        assert len(tail(app).lines) <= 50


async def test_device_detail_charts_ranges_and_commands(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "otto")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DeviceScreen), "the device")
        screen = app.screen
        await wait_for(pilot, lambda: screen.query(MetricPlot), "the chart")
        plot = screen.query_one(MetricPlot)
        await wait_for(pilot, lambda: plot.series is not None, "its data")
        assert plot.series is not None
        assert len(plot.series.window.points) > 10  # the minute of data fills the chart
        assert "power_w (W)  now 103 W" in screen_text(app)  # the newest reading
        loads = screen.loads
        await pilot.press("t", "t")  # fit → 15 min → 1 h: wider buckets, fewer points
        await wait_for(pilot, lambda: screen.loads > loads + 1, "the 1 h range")
        assert screen.range_index == 2
        assert len(plot.series.window.points) < 10
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandDialog), "the form")
        app.screen.query_one(Select).value = "update_config"
        await pilot.pause()
        await pilot.press(*"send_interval_s=60", "enter")

        def queued() -> list:
            with core.db.reader() as session:
                return commands.list_commands(session=session, device_ref="meter-1").items

        await wait_for(pilot, queued, "the queued command")
        assert queued()[0].params == {"send_interval_s": 60}
        await wait_for(pilot, lambda: "update_config" in screen_text(app), "its state")
        assert "pending" in screen_text(app)


async def test_a_factory_reset_is_sent_only_after_a_confirmation(core: Core, fleet) -> None:
    app = ConsoleApp(core)

    def queued() -> list:
        with core.db.reader() as session:
            return commands.list_commands(session=session, device_ref="meter-1").items

    async def ask_for_a_reset(pilot) -> None:
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandDialog), "the form")
        app.screen.query_one(Select).value = "factory_reset"
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        assert "cannot be undone" in screen_text(app)

    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "otto")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DeviceScreen), "the device")
        await ask_for_a_reset(pilot)
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, DeviceScreen), "the device again")
        assert queued() == []
        await ask_for_a_reset(pilot)
        await pilot.press("y")
        await wait_for(pilot, queued, "the queued reset")
        assert [(c.cmd, c.params) for c in queued()] == [("factory_reset", {})]
