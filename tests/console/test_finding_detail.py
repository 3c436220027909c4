"""Issue 15 item 6: a finding's detail in the terminal says what its rule means and what to
do, shows its times as local dates and ages, its details as labelled lines (no raw dict,
no epoch milliseconds) and the log lines it cites whole, wrapped."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from console.app import ConsoleApp
from console.dialogs import TextDialog
from core.clock import to_ms
from core.runtime import Core
from core.services import findings
from tests.console.conftest import add_logs, login, rows, show, wait_for
from tests.factories import FakeClock

pytestmark = pytest.mark.asyncio
LONG = (
    "dropbear[1234]: Bad password attempt for 'root' from 203.0.113.77:51234, "
    "the sixth in a row within a minute from the same address"
)


async def test_detail_explains_the_finding(core: Core, fleet, clock: FakeClock) -> None:
    add_logs(core, clock, [("auth", LONG)])
    with core.db.writer() as session:
        findings.raise_finding(
            session=session,
            now=clock.now(),
            firing=findings.FindingIn(
                rule_id="connectivity.interface-flapping",
                severity="medium",
                key="gw-router:wan",
                device_id=None,
                ts_ms=to_ms(clock.now()),
                summary="wan on gw-router changed state 6 times within 300 s",
                evidence=[3],
                details={"iface": "wan", "since_ms": to_ms(clock.now()) - 300_000, "count": 6},
            ),
        )
    clock.advance(120)
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 40)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "2", "findings")
        table = app.screen.query_one("#table")
        index = next(i for i, r in enumerate(rows(app)) if "wan on gw-router" in " ".join(r))
        table.move_cursor(row=index)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog), "the detail")
        body = app.screen.query_one("#body", Static)
        text = str(body.render())
        assert "rule Interface flapping (connectivity.interface-flapping)" in text
        assert "What it means\nAn interface or its link went up and down repeatedly" in text
        assert "What to do\nCheck the cable and the switch port" in text
        assert "opened once" in text and "1 firing" in text
        assert "(2m ago)" in text  # first and last seen: a local date and its age
        assert "since 20" in text and "(7m ago)" in text  # a time in the details
        assert "count 6" in text and "iface wan" in text
        assert "{" not in text and "_ms" not in text  # no raw dict, no epoch milliseconds
        assert LONG in text  # the evidence whole
        await pilot.pause()
        assert body.size.height > text.count("\n") + 1  # long lines wrap instead of clipping
