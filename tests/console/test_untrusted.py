"""Device names and log lines are shown as literal text: markup is not run, ANSI escapes
are removed."""

from __future__ import annotations

import pytest

from console.app import ConsoleApp
from console.logs_screen import LogsScreen
from core.runtime import Core
from tests.console.conftest import add_logs, login, rows, screen_text, show, wait_for
from tests.factories import FakeClock, make_device

pytestmark = pytest.mark.asyncio
CLICK = "[@click=app.quit]x[/]"


async def test_markup_in_a_device_name_is_literal_and_runs_nothing(
    core: Core, fleet, clock: FakeClock
) -> None:
    with core.db.writer() as session:
        make_device(session, id="evil-1", name=CLICK, firmware="\x1b[31m6.6.6\x1b[0m")
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        evil = next(r for r in rows(app) if r[1] == "evil-1")
        assert evil[2] == CLICK
        assert evil[6] == "6.6.6"
        assert CLICK in screen_text(app)
        index = [r[1] for r in rows(app)].index("evil-1")
        await pilot.click("#table", offset=(22, index + 1))  # on the name
        await pilot.press("down", "up")
        await pilot.pause()
        assert app.is_running


async def test_log_lines_with_markup_and_ansi_are_literal(
    core: Core, fleet, clock: FakeClock
) -> None:
    add_logs(core, clock, [("system", "[red]alarm[/red] \x1b[1;31mreboot\x1b[0m now\x1b]0;t\x07")])
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "4", "logs")
        assert isinstance(app.screen, LogsScreen)
        await wait_for(pilot, lambda: "reboot" in screen_text(app), "the line")
        text = screen_text(app)
        assert "[red]alarm[/red] reboot now" in text
        assert "\x1b" not in text
