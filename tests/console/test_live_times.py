"""Issue 15 item 3: relative times move on their own, and a device's last-seen time
follows the data although seeing a device writes no change-feed row."""

from __future__ import annotations

import pytest

from console.app import ConsoleApp
from core.models import Actor
from core.runtime import Core
from core.services import devices
from tests.console.conftest import login, rows, show, wait_for
from tests.factories import FakeClock

pytestmark = pytest.mark.asyncio


def seen(app: ConsoleApp, device: str) -> str:
    """The devices table's "last seen" cell of ``device``."""
    return next(r[4] for r in rows(app) if r[1] == device)


async def test_last_seen_ticks_without_any_change(core: Core, fleet, clock: FakeClock) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        assert seen(app, "meter-1") == "now"
        clock.advance(90)  # nothing written: only time passes
        await wait_for(pilot, lambda: seen(app, "meter-1") == "1m ago", "the age to move")
        assert seen(app, "sensor-3") == "never"


async def test_last_seen_follows_a_chatty_device(core: Core, fleet, clock: FakeClock) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await pilot.press("down")  # the cursor on meter-1 stays there through the updates
        clock.advance(120)
        await wait_for(pilot, lambda: seen(app, "meter-1") == "2m ago", "the age to move")
        with core.db.writer() as session:  # an online device speaks: no change-feed row
            devices.record_seen(
                session=session, device_id="meter-1", seen_at=clock.now(), actor=Actor.system()
            )
            session.commit()
        await wait_for(pilot, lambda: seen(app, "meter-1") == "now", "the new last-seen time")
        assert seen(app, "camera-2") == "2m ago"
        assert app.screen.selected_key == "meter-1"


async def test_finding_ages_tick(core: Core, fleet, clock: FakeClock) -> None:
    app = ConsoleApp(core)
    async with app.run_test(size=(100, 30)) as pilot:
        await login(pilot, "vera")
        await show(pilot, "2", "findings")
        assert {r[2] for r in rows(app)} == {"now"}
        clock.advance(3 * 3600)
        await wait_for(pilot, lambda: {r[2] for r in rows(app)} == {"3h ago"}, "the ages")
