"""Moving around: number keys, the ``:`` prompt, ``/`` filters, ``s`` sorts, ``?`` helps,
``q`` goes back and quits from a top screen."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from console.app import ConsoleApp
from console.device_screen import DeviceScreen
from console.dialogs import TextDialog
from core.runtime import Core
from core.services import runtime
from tests.console.conftest import login, rows, screen_text, show, table, wait_for
from tests.factories import FakeClock

pytestmark = pytest.mark.asyncio

SCREENS = [
    ("2", "findings"),
    ("3", "intents"),
    ("4", "logs"),
    ("5", "actions"),
    ("6", "rules"),
    ("1", "devices"),
]


async def test_number_keys_switch_screens(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        for key, mode in SCREENS:
            await show(pilot, key, mode)
            assert mode == app.screen.MODE_NAME
        assert [r[1] for r in rows(app)] == ["camera-2", "meter-1", "sensor-3"]


async def test_the_prompt_switches_screens_and_quits(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await pilot.press("colon")
        await wait_for(pilot, lambda: isinstance(app.focused, Input), "the prompt")
        await pilot.press(*"findings", "enter")
        await wait_for(pilot, lambda: app.current_mode == "findings", "the findings")
        await wait_for(pilot, lambda: table(app).row_count == 2, "two findings")
        await pilot.press("colon", "q", "enter")
        await wait_for(pilot, lambda: not app.is_running, "the app to quit")


async def test_filter_narrows_the_table_and_escape_clears_it(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await pilot.press("slash", *"camera")
        await wait_for(pilot, lambda: table(app).row_count == 1, "the filter")
        assert rows(app)[0][1] == "camera-2"
        await pilot.press("enter")  # keeps the filter, back to the table
        assert app.focused is table(app)
        assert table(app).row_count == 1
        await pilot.press("slash", "escape")
        await wait_for(pilot, lambda: table(app).row_count == 3, "the filter cleared")


async def test_s_cycles_the_sort_column(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await pilot.press("s")  # by status: online before unknown
        assert [r[0] for r in rows(app)] == ["online", "online", "unknown"]
        await pilot.press("s")  # by type
        assert [r[3] for r in rows(app)] == ["camera", "power_meter", "temperature_sensor"]
        assert "sorted by type" in screen_text(app)


async def test_enter_opens_a_device_and_q_goes_back_then_quits(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await pilot.press("down", "enter")  # meter-1
        await wait_for(pilot, lambda: isinstance(app.screen, DeviceScreen), "the device")
        screen = app.screen
        await wait_for(pilot, lambda: "power_w" in screen_text(app), "its chart")
        text = screen_text(app)
        assert "Meter one" in text and "10.0.0.21" in text and "meter-1 running hot" in text
        await pilot.press("q")
        await wait_for(pilot, lambda: app.screen is not screen, "the list again")
        assert app.current_mode == "devices" and app.is_running
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, "the app to quit")


async def test_question_mark_shows_the_keys_of_the_screen(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "2", "findings")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the help")
        text = screen_text(app)
        assert "acknowledge" in text and "command prompt" in text
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.current_mode == "findings", "the findings")
        assert not isinstance(app.screen, TextDialog)


async def test_header_shows_the_daemon_brokers_and_findings(
    core: Core, fleet, clock: FakeClock
) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await wait_for(pilot, lambda: "daemon: never ran" in screen_text(app), "no daemon")
        assert "(database view)" in screen_text(app)
        assert "1 high 1 med" in screen_text(app)
        with core.db.writer() as session:
            runtime.put_state(
                session=session,
                key=runtime.AGENT_KEY,
                value={
                    "pid": 42,
                    "brokers": [
                        {"url": "mqtt://a", "connected": True},
                        {"url": "mqtt://b", "connected": False},
                    ],
                    "dry_run": ["no CAP_NET_ADMIN"],
                },
                now=clock.now(),
            )
        app.load_overview()  # the heartbeat is not a change: the 2 s refresh picks it up
        await wait_for(pilot, lambda: "running (dry run)" in screen_text(app), "the daemon")
        assert "brokers 1/2" in screen_text(app)
        assert "(database view)" not in screen_text(app)
