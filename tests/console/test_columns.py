"""Issue 15 item 8: columns sized to their content — the rule column whole, log classes
whole — the free text last, taking the room that is left; findings most severe first."""

from __future__ import annotations

import pytest
from textual.widgets import RichLog

from console.app import ConsoleApp
from core.runtime import Core
from tests.console.conftest import add_logs, login, raise_finding, screen_text, show, wait_for
from tests.factories import FakeClock

pytestmark = pytest.mark.asyncio
RULE = "connectivity.interface-flapping"


async def test_findings_rule_whole_and_most_severe_first(
    core: Core, fleet, clock: FakeClock
) -> None:
    clock.advance(60)  # the newest finding is the least severe
    raise_finding(
        core,
        clock,
        key="gw-router:wan",
        rule=RULE,
        severity="low",
        device=None,
        summary="wan on gw-router changed state 6 times within 300 s " + "and more " * 12,
    )
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "2", "findings")
        await wait_for(pilot, lambda: RULE in screen_text(app), "the rule, whole")
        lines = screen_text(app).splitlines()
        table = [line for line in lines if " open  " in line]
        assert [line.split()[0] for line in table] == ["high", "medium", "low"]
        assert all(len(line.rstrip()) <= 100 for line in lines)
        assert "wan on gw-router" in table[-1]
        assert table[-1].rstrip().endswith("…")  # the summary ends where the screen does


async def test_log_classes_whole(core: Core, fleet, clock: FakeClock) -> None:
    add_logs(core, clock, [("connectivity", "netifd: Interface 'wan' is now down")])
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "4", "logs")
        tail = app.screen.query_one(RichLog)
        await wait_for(pilot, lambda: len(tail.lines) == 3, "the lines")
        await wait_for(pilot, lambda: "connectivity gw-router" in screen_text(app), "the class")
