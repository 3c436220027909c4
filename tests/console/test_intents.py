"""The intents screen: the bar parses as you type, ``p`` plans, enter applies after a
confirmation; refusals and conflicts are shown with their message; ``x`` revokes."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.widgets import Static

from console.app import ConsoleApp
from console.dialogs import ConfirmDialog, TextDialog
from console.intents_screen import IntentBar
from core.models import IntentStatus
from core.ports import KernelFeatures
from core.runtime import Core, KnownKernel
from core.services import intents
from tests.console.conftest import login, notices, rows, screen_text, show, wait_for

pytestmark = pytest.mark.asyncio
SENTENCE = "limit meter-1 to 2 mbit"
NO_NETEM = KernelFeatures(
    qdiscs=frozenset({"htb", "fq_codel"}), classifiers=frozenset({"u32"}), actions=frozenset()
)


def preview(app: ConsoleApp) -> str:
    """The intent bar's preview (under a dialog, if one is open)."""
    screen = next(s for s in reversed(app.screen_stack) if s.query("#preview"))
    return str(screen.query_one("#preview", Static).render())


def stored(core: Core) -> list[tuple[str, IntentStatus]]:
    with core.db.reader() as session:
        return [(i.explanation, i.status) for i in intents.list_intents(session=session).items]


async def type_intent(pilot, sentence: str) -> None:
    await pilot.press("i")
    assert isinstance(pilot.app.focused, IntentBar)
    pilot.app.focused.value = sentence


async def test_preview_plan_and_apply(core: Core, fleet) -> None:
    app = ConsoleApp(core)  # its kernel's features are unknown: plans as for a full kernel
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot, "otto")
        await show(pilot, "3", "intents")
        await pilot.press("i", *"limit meter-1 to 2 mbi")
        await wait_for(pilot, lambda: "✗" in preview(app), "the incomplete sentence")
        await pilot.press("t")
        await wait_for(pilot, lambda: "✓" in preview(app), "the preview")
        assert "meter-1" in preview(app) and "Limit the bandwidth" in preview(app)
        await pilot.press("escape", "p")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the plan")
        assert "download limited to 2 Mbit/s" in screen_text(app)
        assert stored(core) == []  # planning stores nothing
        await pilot.press("escape", "i", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the confirmation")
        assert "HTB class" in screen_text(app)
        await pilot.press("y")
        await wait_for(pilot, lambda: len(stored(core)) == 1, "the stored intent")
        await wait_for(pilot, lambda: len(rows(app)) == 1, "the list")
        row = rows(app)[0]
        assert row[1] == "planned" and row[2] == "unchecked" and "meter-1" in row[5]
        assert any("submitted" in n for n in notices(app))


async def test_a_parse_error_is_shown_as_you_type(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "otto")
        await show(pilot, "3", "intents")
        await type_intent(pilot, "limit meter-1 to lots")
        await wait_for(pilot, lambda: "✗" in preview(app), "the parse error")


async def test_refused_intent_shows_why(core: Core, fleet) -> None:
    app = ConsoleApp(replace(core, kernel=KnownKernel(NO_NETEM)))
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "otto")
        await show(pilot, "3", "intents")
        await type_intent(pilot, "add 80 ms of delay to meter-1")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "cannot be enforced" in preview(app), "the refusal")
        assert "no netem" in preview(app)
        assert stored(core) == []


async def test_conflicting_intent_shows_the_conflict(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "otto")
        with core.db.writer() as session:
            intents.submit(
                session=session, text=SENTENCE, actor=app.actor, now=core.clock.now(), features=None
            )
        await show(pilot, "3", "intents")
        await type_intent(pilot, "limit meter-1 to 5 mbit")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Intent conflicts" in preview(app), "the conflict")
        assert "two different limits" in preview(app)
        assert len(stored(core)) == 1


async def test_x_revokes_after_confirmation(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "otto")
        with core.db.writer() as session:
            intents.submit(
                session=session, text=SENTENCE, actor=app.actor, now=core.clock.now(), features=None
            )
        await show(pilot, "3", "intents")
        await wait_for(pilot, lambda: len(rows(app)) == 1, "the intent")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        await pilot.press("y")
        await wait_for(pilot, lambda: stored(core)[0][1] == IntentStatus.REVOKED, "revoked")
        await wait_for(pilot, lambda: rows(app)[0][1] == "revoked", "the row")


async def test_viewer_cannot_apply(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot, "vera")
        await show(pilot, "3", "intents")
        await type_intent(pilot, SENTENCE)
        await pilot.press("enter")
        await wait_for(pilot, lambda: notices(app), "the refusal")
        assert "needs the operator role" in notices(app)[0]
        assert not isinstance(app.screen, ConfirmDialog)
        assert stored(core) == []
