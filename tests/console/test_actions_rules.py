"""The actions screen (approve, reject with a reason) and the rules screen (admin toggles
a rule); each refused to a role that may not."""

from __future__ import annotations

import pytest

from console.app import ConsoleApp
from console.dialogs import PromptDialog, TextDialog
from core.models import ActionState, Actor
from core.runtime import Core
from core.services import actions
from core.services.rules import RULES
from tests.console.conftest import login, notices, rows, screen_text, show, table, wait_for

pytestmark = pytest.mark.asyncio


def action_state(core: Core, action_id: int) -> tuple[ActionState, str | None]:
    with core.db.reader() as session:
        action = actions.get_action(session=session, action_id=action_id, reader=Actor.system())
    return action.state, action.reason


def rule_enabled(core: Core, rule_id: str) -> bool:
    with core.db.reader() as session:
        return {r.id: r.enabled for r in RULES.list(session=session)}[rule_id]


async def test_operator_approves_a_proposed_action(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "otto")
        await show(pilot, "5", "actions")
        assert rows(app)[0][1] == "proposed"
        await pilot.press("y")
        await wait_for(
            pilot, lambda: action_state(core, fleet.action_id)[0] == "approved", "the approval"
        )
        await wait_for(pilot, lambda: rows(app)[0][5] == "otto", "the row")


async def test_operator_rejects_with_a_reason(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "otto")
        await show(pilot, "5", "actions")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptDialog), "the reason")
        await pilot.press(*"known fan noise", "enter")
        await wait_for(
            pilot,
            lambda: action_state(core, fleet.action_id) == ("rejected", "known fan noise"),
            "the rejection",
        )


async def test_viewer_cannot_decide(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot, "vera")
        await show(pilot, "5", "actions")
        await pilot.press("y", "n")
        await wait_for(pilot, lambda: len(notices(app)) == 2, "the refusals")
        assert all("needs the operator role" in n for n in notices(app))
        assert action_state(core, fleet.action_id)[0] == "proposed"


def finish_with_output(core: Core, action_id: int) -> None:
    with core.db.writer() as session:
        now = core.clock.now()
        actions.approve(session=session, action_id=action_id, actor=Actor.system(), now=now)
        actions.claim_approved(session=session, now=now)
        actions.finish(
            session=session,
            action_id=action_id,
            results=[{"kind": "command", "ok": True, "output": "secret-line"}],
            now=now,
        )


@pytest.mark.parametrize(("name", "sees"), [("vera", False), ("otto", True)])
async def test_only_the_roles_that_approve_read_what_the_steps_printed(
    core: Core, fleet, name: str, sees: bool
) -> None:
    finish_with_output(core, fleet.action_id)
    app = ConsoleApp(core)
    async with app.run_test(size=(120, 40)) as pilot:
        await login(pilot, name)
        await show(pilot, "5", "actions")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the details")
        await pilot.pause()
        text = screen_text(app)
        assert ("secret-line" in text) is sees
        assert ("Output hidden" in text) is not sees


async def test_admin_toggles_a_rule(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "ada")
        await show(pilot, "6", "rules")
        first = rows(app)[0][1]
        assert rows(app)[0][0] == "on"
        await pilot.press("e")
        await wait_for(pilot, lambda: not rule_enabled(core, first), "the rule disabled")
        await wait_for(pilot, lambda: rows(app)[0][0] == "off", "the row")
        await pilot.press("e")
        await wait_for(pilot, lambda: rule_enabled(core, first), "the rule enabled again")


async def test_operator_cannot_toggle_rules(core: Core, fleet) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await login(pilot, "otto")
        await show(pilot, "6", "rules")
        first = rows(app)[0][1]
        await pilot.press("e")
        await wait_for(pilot, lambda: notices(app), "the refusal")
        assert notices(app) == ["otto (operator) may not catalog.write: it needs the admin role"]
        assert rule_enabled(core, first)
        assert table(app).row_count > 10
