"""Issue 15 item 9 in the terminal: a conflict offers to replace the live intent (a dialog,
not a CLI flag); the rules screen explains, tests and lists playbooks; ``:find`` filters or
says why not; ``home``/``end`` move the cursor; ``:logout`` returns to a fresh login."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static

from console.app import ConsoleApp
from console.dialogs import ConfirmDialog, PromptDialog, TextDialog
from console.login_screen import LoginScreen
from core.models import IntentStatus
from core.runtime import Core
from core.services import intents
from tests.console.conftest import (
    add_logs,
    login,
    notices,
    rows,
    screen_text,
    show,
    table,
    wait_for,
)
from tests.factories import FakeClock

pytestmark = pytest.mark.asyncio


def body(app: ConsoleApp) -> str:
    return str(app.screen.query_one("#body", Static).render())


def stored(core: Core) -> list[tuple[int, str, IntentStatus]]:
    with core.db.reader() as session:
        return [(i.id, i.text, i.status) for i in intents.list_intents(session=session).items]


async def test_a_conflict_offers_to_replace_the_live_intent(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(110, 34), notifications=True) as pilot:
        await login(pilot, "otto")
        with core.db.writer() as session:
            intents.submit(
                session=session,
                text="limit meter-1 to 2 mbit",
                actor=app.actor,
                now=core.clock.now(),
                features=None,
            )
        await show(pilot, "3", "intents")
        await pilot.press("i")
        app.focused.value = "limit meter-1 to 5 mbit"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the offer")
        await wait_for(pilot, lambda: "Replace intent #1?" in screen_text(app), "its title")
        assert "two different limits" in body(app)
        assert "--replaces" not in screen_text(app) and "--replaces" not in " ".join(notices(app))
        assert [s for _, _, s in stored(core)] == [IntentStatus.PLANNED]  # nothing yet
        await pilot.press("y")
        await wait_for(pilot, lambda: len(stored(core)) == 2, "the new intent")
        by_text = {text: status for _, text, status in stored(core)}
        assert by_text["limit meter-1 to 5 mbit"] == IntentStatus.PLANNED
        assert by_text["limit meter-1 to 2 mbit"] == IntentStatus.REVOKED


async def test_declining_the_replacement_changes_nothing(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(110, 34)) as pilot:
        await login(pilot, "otto")
        with core.db.writer() as session:
            intents.submit(
                session=session,
                text="limit meter-1 to 2 mbit",
                actor=app.actor,
                now=core.clock.now(),
                features=None,
            )
        await show(pilot, "3", "intents")
        await pilot.press("i")
        app.focused.value = "limit meter-1 to 5 mbit"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the offer")
        await pilot.press("n")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmDialog), "closed")
        assert "Intent conflicts" in str(app.screen.query_one("#preview", Static).render())
        assert [(t, s) for _, t, s in stored(core)] == [
            ("limit meter-1 to 2 mbit", IntentStatus.PLANNED)
        ]


async def test_rules_screen_explains_tests_and_lists_playbooks(
    core: Core, fleet, clock: FakeClock
) -> None:
    add_logs(
        core,
        clock,
        [("connectivity", f"Interface 'wan' is now {'down' if i % 2 else 'up'}") for i in range(8)],
    )
    app = ConsoleApp(core)
    async with app.run_test(size=(110, 40)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "6", "rules")
        await pilot.press("slash", *"interface-flapping", "enter")
        await wait_for(pilot, lambda: len(rows(app)) == 1, "the one rule")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the rule")
        shown = body(app)
        assert "Interface flapping" in shown
        assert "What it means\nAn interface or its link went up and down" in shown
        assert "What to do\nCheck the cable" in shown
        assert "threshold 6" in shown and "Playbooks it starts" in shown
        await pilot.press("escape", "t")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the replay")
        assert "lines replayed" in body(app) or "replayed" in body(app)
        await pilot.press("escape", "l")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptDialog), "the line prompt")
        app.screen.query_one(Input).value = "Interface 'lan' is now down"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the answer")
        assert "does not count this line" in body(app)  # untagged: netifd's lines only
        await pilot.press("escape", "b")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the playbooks")
        assert "test.check-hot" in body(app) and "[suggest]" in body(app)
        assert "test.hot" in body(app)


async def test_find_filters_or_says_why_not(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot, "vera")
        app.run_command(":find attic")
        await wait_for(pilot, lambda: len(rows(app)) == 1, "the filtered table")
        assert rows(app)[0][1] == "sensor-3"
        app.run_command(":find")
        await wait_for(pilot, lambda: notices(app), "the hint")
        assert ":find WORDS" in notices(app)[-1]
        app.run_command(":fin")  # a prefix that names one screen opens it
        await wait_for(pilot, lambda: app.current_mode == "findings", "the findings")
        app.run_command(":zzz")
        await wait_for(pilot, lambda: "unknown command :zzz" in notices(app)[-1], "the answer")
        assert ":logout" in notices(app)[-1]


async def test_home_and_end_move_the_cursor(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "6", "rules")
        assert table(app).cursor_row == 0
        await pilot.press("end")
        assert table(app).cursor_row == table(app).row_count - 1 > 0
        await pilot.press("home")
        assert table(app).cursor_row == 0


async def test_logout_returns_to_a_fresh_login(core: Core, fleet) -> None:
    app = ConsoleApp(core, user="ada")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot, "ada")
        await show(pilot, "5", "actions")
        app.run_command(":logout")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, LoginScreen) and app.screen.query("#password"),
            "the login screen",
        )
        assert app.user is None
        assert app.screen.query_one("#password", Input).value == ""
        assert app.screen.query_one("#name", Input).value == ""
        await wait_for(pilot, lambda: "ada (admin) logged out" in notices(app), "the notice")
        assert not app.workers  # the log-out is done, the feed stopped
        await login(pilot, "vera")
        assert app.user_label == "vera (viewer)"
        await show(pilot, "5", "actions")  # built again for the new user
        await pilot.press("y")
        await wait_for(pilot, lambda: "vera (viewer) may not" in notices(app)[-1], "refusal")
