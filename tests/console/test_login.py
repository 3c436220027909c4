"""The login screen: Warden users with the web's roles and lockout."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Label

from console.app import ConsoleApp
from core.models import Role
from core.runtime import Core
from tests.console.conftest import PASSWORD, login, rows, screen_text, wait_for

pytestmark = pytest.mark.asyncio


async def submit(pilot, name: str, password: str) -> None:
    screen = pilot.app.screen
    screen.query_one("#name", Input).value = name
    screen.query_one("#password", Input).value = password
    screen.query_one("#password", Input).focus()
    await pilot.press("enter")


def error(app: ConsoleApp) -> str:
    return str(app.screen.query_one("#error", Label).render())


async def test_good_password_opens_the_devices_screen(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "otto")
        assert app.user is not None and app.user.role == Role.OPERATOR
        assert [r[1] for r in rows(app)] == ["camera-2", "meter-1", "sensor-3"]
        assert "otto (operator)" in screen_text(app)


async def test_bad_password_says_so_and_stays(core: Core, accounts) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await submit(pilot, "otto", "not the password at all")
        await wait_for(pilot, lambda: "invalid" in error(app).lower(), "the refusal")
        assert app.current_mode == "login"
        assert app.user is None
        assert app.screen.query_one("#password", Input).value == ""


async def test_too_many_failures_are_throttled(core: Core, accounts) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        for attempt in range(12):
            await submit(pilot, "otto", f"wrong guess number {attempt}")
            await wait_for(pilot, lambda: error(app) not in {"", "checking…"}, "an answer")
            if "too many" in error(app):
                break
            app.screen.query_one("#error", Label).update("")
        assert "too many failed logins" in error(app)
        await submit(pilot, "otto", PASSWORD)  # even the right password waits
        await wait_for(pilot, lambda: "too many" in error(app), "the lockout")
        assert app.user is None


async def test_user_option_prefills_the_name_and_shows_the_system_user(
    core: Core, accounts
) -> None:
    app = ConsoleApp(core, user="ada")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#name", Input).value == "ada"
        assert app.focused is app.screen.query_one("#password", Input)
        assert f"system user: {app.os_user}" in screen_text(app)


async def test_number_keys_do_nothing_before_the_login(core: Core, accounts) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.query_one("#name", Input).blur()
        await pilot.press("2", "colon", "q")
        await pilot.pause()
        assert app.current_mode == "login"
        assert app.is_running


async def test_without_users_the_login_says_how_to_create_one(core: Core) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: "warden users add" in error(app), "the hint")
