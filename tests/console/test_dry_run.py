"""Issue 15 item 4: a dry run is said as one in the terminal console — the apply
confirmation says DRY RUN and why, the intent is "planned (dry run)", its policies "not
applied — dry run: <reason>", its verdict "unverifiable (dry run)", no satisfaction."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from console.app import ConsoleApp
from console.dialogs import ConfirmDialog, TextDialog
from core.runtime import Core
from core.services import runtime
from enforcement.dryrun import DryRunFirewall, DryRunShaper
from enforcement.reconciler import Reconciler
from tests.console.conftest import login, rows, screen_text, show, wait_for
from tests.factories import FakeClock

pytestmark = pytest.mark.asyncio
REASON = "this process lacks CAP_NET_ADMIN"


def heartbeat(core: Core, clock: FakeClock, dry_run: list[str]) -> None:
    with core.db.writer() as session:
        runtime.put_state(
            session=session,
            key=runtime.AGENT_KEY,
            value={"pid": 42, "dry_run": dry_run, "enforcement": {"tc": "dry-run"}},
            now=clock.now(),
        )


async def test_a_dry_run_is_said_as_one(core: Core, fleet, clock: FakeClock) -> None:
    heartbeat(core, clock, [REASON])
    app = ConsoleApp(core)
    async with app.run_test(size=(120, 34)) as pilot:
        await login(pilot, "otto")
        await show(pilot, "3", "intents")
        await pilot.press("i")
        app.focused.value = "limit meter-1 to 2 mbit"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the confirmation")
        await wait_for(pilot, lambda: "y / enter" in screen_text(app), "the dialog drawn")
        shown = screen_text(app)
        assert "DRY RUN — record this intent?" in shown
        assert f"DRY RUN: the kernel is not changed ({REASON})" in shown
        await pilot.press("y")
        await wait_for(pilot, lambda: len(rows(app)) == 1, "the stored intent")
        Reconciler(
            core.db,
            clock,
            shaper=DryRunShaper(REASON),
            firewall=DryRunFirewall(REASON),
            link_rate_bps=100_000_000,
        ).reconcile()
        await wait_for(pilot, lambda: rows(app)[0][1] == "planned (dry run)", "the dry run")
        assert rows(app)[0][2] == "unverifiable (dry run)"
        assert rows(app)[0][3] == "-"  # no satisfaction made of a dry run
        await wait_for(
            pilot,
            lambda: f"DRY RUN: nothing applied to the kernel ({REASON})" in screen_text(app),
            "the caption",
        )
        await pilot.press("escape", "enter")  # from the bar to the list; open the intent
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the intent")
        await wait_for(pilot, lambda: "Policies" in screen_text(app), "its policies")
        detail = str(app.screen.query_one("#body", Static).render())
        assert f"not applied — dry run: {REASON}" in detail
        assert "unverifiable (dry run)" in detail
        assert "active" not in detail


async def test_confirmation_when_the_daemon_does_not_run(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(120, 34)) as pilot:
        await login(pilot, "otto")
        await show(pilot, "3", "intents")
        await pilot.press("i")
        app.focused.value = "limit meter-1 to 2 mbit"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the confirmation")
        await wait_for(pilot, lambda: "y / enter" in screen_text(app), "the dialog drawn")
        shown = screen_text(app)
        assert "Apply this intent?" in shown
        assert "The daemon has never run: the intent is stored now and applied when it runs" in (
            shown
        )
        assert "DRY RUN" not in shown
