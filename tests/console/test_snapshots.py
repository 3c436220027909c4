"""Screenshots of the main screens at 80x24 with fixed data: a fake clock, a fixed
gateway name and system user, the dark theme, and no input focused (no cursor blink)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from console.app import ConsoleApp
from core.config import load_settings
from core.models import Actor, Origin, Role
from core.runtime import Core, open_core
from core.services import intents
from tests.console.conftest import login, show, wait_for
from tests.factories import FakeClock

SIZE = (80, 24)


@pytest.fixture
def core(data_dir: Path, clock: FakeClock) -> Iterator[Core]:
    """The shared fixture's Core, with a gateway name that is the same on every machine."""
    opened = open_core(load_settings(data_dir=data_dir, gateway_name="gw-lab"), clock=clock)
    try:
        yield opened
    finally:
        opened.close()


def app_for(core: Core) -> ConsoleApp:
    app = ConsoleApp(core)
    app.os_user = "pi"
    return app


async def settled(pilot: Pilot) -> None:
    """The header has its overview and no worker is still loading."""
    app = pilot.app
    await wait_for(pilot, lambda: app.status is not None, "the header")
    await wait_for(
        pilot, lambda: not any(w.is_running for w in app.workers if w.group != "feed"), "workers"
    )
    await pilot.pause()


def test_devices_screen(snap_compare, core: Core, fleet) -> None:
    async def run_before(pilot: Pilot) -> None:
        await login(pilot, "ada")
        await settled(pilot)

    assert snap_compare(app_for(core), terminal_size=SIZE, run_before=run_before)


def test_findings_screen(snap_compare, core: Core, fleet) -> None:
    async def run_before(pilot: Pilot) -> None:
        await login(pilot, "ada")
        await show(pilot, "2", "findings")
        await settled(pilot)

    assert snap_compare(app_for(core), terminal_size=SIZE, run_before=run_before)


def test_device_detail_screen(snap_compare, core: Core, fleet) -> None:
    async def run_before(pilot: Pilot) -> None:
        await login(pilot, "ada")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: pilot.app.screen.loads > 0, "the device")
        await settled(pilot)

    assert snap_compare(app_for(core), terminal_size=SIZE, run_before=run_before)


def test_intents_screen(snap_compare, core: Core, fleet) -> None:
    with core.db.writer() as session:
        intents.submit(
            session=session,
            text="limit meter-1 to 2 mbit",
            actor=Actor(name="otto", origin=Origin.TUI, role=Role.OPERATOR),
            now=core.clock.now(),
            features=None,
        )

    async def run_before(pilot: Pilot) -> None:
        await login(pilot, "ada")
        await show(pilot, "3", "intents")
        await settled(pilot)

    assert snap_compare(app_for(core), terminal_size=SIZE, run_before=run_before)


def test_logs_screen(snap_compare, core: Core, fleet) -> None:
    async def run_before(pilot: Pilot) -> None:
        await login(pilot, "ada")
        await show(pilot, "4", "logs")
        await settled(pilot)

    assert snap_compare(app_for(core), terminal_size=SIZE, run_before=run_before)
