"""Issue 15 item 2: a filter that hides the selected row does not crash the console, and
a crash (of any kind) ends the process with a non-zero status and says where the log is."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from console.app import ConsoleApp
from console.devices_screen import DevicesScreen
from core.runtime import Core
from tests.console.conftest import PASSWORD, login, rows, screen_text, wait_for

pytestmark = pytest.mark.asyncio


async def test_filter_that_hides_the_selected_row(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        assert [r[1] for r in rows(app)] == ["camera-2", "meter-1", "sensor-3"]
        await pilot.press("down")  # meter-1 selected: the filter hides it
        await pilot.press("slash", *"temp")
        await wait_for(pilot, lambda: len(rows(app)) == 1, "the filtered table")
        assert rows(app)[0][1] == "sensor-3"
        shown = [line.strip() for line in screen_text(app).splitlines()]
        assert "temp" in shown  # the filter bar shows what was typed (the footer hid it)
        await pilot.press("escape")  # the filter cleared: every row back
        await wait_for(pilot, lambda: len(rows(app)) == 3, "every row again")
        assert app.return_code is None  # still running


async def test_a_crash_exits_non_zero_with_its_traceback_in_the_log(
    core: Core, fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_self: DevicesScreen, _data: object) -> list:
        raise RuntimeError("a bug in a screen")

    monkeypatch.setattr(DevicesScreen, "make_rows", broken)
    app = ConsoleApp(core)

    async def log_in_and_crash() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            app.screen.query_one("#name", Input).value = "vera"
            app.screen.query_one("#password", Input).value = PASSWORD
            app.screen.query_one("#password", Input).focus()
            await pilot.press("enter")
            await wait_for(pilot, lambda: app.return_code is not None, "the app to stop")

    with pytest.raises(RuntimeError, match="a bug in a screen"):
        await log_in_and_crash()
    assert app.return_code == 1
    assert app.log_file == core.settings.data_dir / "console.log"
    logged = app.log_file.read_text()
    assert "RuntimeError: a bug in a screen" in logged
    assert "make_rows" in logged
    assert app.log_file.stat().st_mode & 0o077 == 0
