"""The console around a Core on a fresh SQLite file with a fake clock: one user of each
role, a small fleet with telemetry, findings, log lines, an action waiting for approval
and the shipped rules; helpers to log in and to wait (always bounded) for the screen."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from console.app import ConsoleApp
from core import passwords
from core.clock import to_ms
from core.config import Settings
from core.models import Actor, ReadingIn, Role
from core.playbooks import parse_playbook
from core.rules import load_packs
from core.runtime import Core, open_core
from core.services import actions, findings, logs, telemetry, users
from core.services.logs import LogLine
from core.services.playbooks import PLAYBOOKS
from core.services.rules import RULES
from tests.factories import FakeClock, make_device
from warden.paths import rule_packs

PASSWORD = "plenty of words, 12+"
USERS = {Role.VIEWER: "vera", Role.OPERATOR: "otto", Role.ADMIN: "ada"}
WAIT_S = 5.0
"""The longest any test waits for the screen to show something."""


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cost-4 bcrypt for the test users: logins check the cost stored in the hash."""
    monkeypatch.setattr(passwords, "BCRYPT_COST", 4)


@pytest.fixture
def core(settings: Settings, clock: FakeClock) -> Iterator[Core]:
    opened = open_core(settings, clock=clock)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def accounts(core: Core, clock: FakeClock) -> dict[Role, str]:
    with core.db.writer() as session:
        for role, name in USERS.items():
            users.add_user(
                session=session,
                name=name,
                password=PASSWORD,
                role=role,
                actor=Actor.system(),
                now=clock.now(),
            )
    return USERS


def raise_finding(
    core: Core,
    clock: FakeClock,
    *,
    key: str,
    severity: str = "high",
    rule: str = "test.hot",
    device: str | None = "meter-1",
    summary: str | None = None,
    evidence: list[int] | None = None,
):
    with core.db.writer() as session:
        return findings.raise_finding(
            session=session,
            now=clock.now(),
            firing=findings.FindingIn(
                rule_id=rule,
                severity=severity,
                key=key,
                device_id=device,
                ts_ms=to_ms(clock.now()),
                summary=summary or f"{rule} on {key}",
                evidence=evidence or [],
            ),
        )


def add_logs(core: Core, clock: FakeClock, messages: list[tuple[str, str]]) -> None:
    """(log class, message) lines from the router ``gw-router``."""
    now_ms = to_ms(clock.now())
    with core.db.writer() as session:
        logs.ingest_batch(
            session=session,
            lines=[
                LogLine(
                    ts_ms=now_ms - (len(messages) - i) * 1000,
                    received_ms=now_ms,
                    source="udp",
                    source_ip="10.0.0.1",
                    host="gw-router",
                    app="hostapd",
                    pid=None,
                    facility=3,
                    severity=6,
                    log_class=log_class,
                    message=message,
                )
                for i, (log_class, message) in enumerate(messages)
            ],
        )


@dataclass
class Fleet:
    finding_id: int
    action_id: int


@pytest.fixture
def fleet(core: Core, clock: FakeClock, accounts: dict[Role, str]) -> Fleet:
    """Three devices (one with a minute of telemetry), two findings, log lines, one
    action waiting for approval and the shipped rules."""
    now = clock.now()
    with core.db.writer() as session:
        make_device(
            session, id="meter-1", name="Meter one", ip="10.0.0.21", firmware="1.4.2", seen_at=now
        )
        make_device(
            session,
            id="camera-2",
            type="camera",
            name="Yard camera",
            ip="10.0.0.32",
            firmware="3.0.0",
            seen_at=now,
        )
        make_device(session, id="sensor-3", type="temperature_sensor", name="Attic", ip="10.0.0.43")
        start = to_ms(now) - 60_000
        telemetry.append_readings(
            session=session,
            device_id="meter-1",
            readings=[
                ReadingIn(metric="power_w", ts=start + i * 1000, value=100 + i % 7, unit="W")
                for i in range(60)
            ],
            actor=Actor.system(),
        )
        PLAYBOOKS.sync(
            session=session,
            shipped=[
                parse_playbook(
                    {
                        "pack": "test",
                        "id": "test.check-hot",
                        "name": "Check",
                        "on": ["test.hot"],
                        "mode": "suggest",
                        "steps": [{"kind": "command", "cmd": "request_status"}],
                    }
                )
            ],
            now=now,
        )
        RULES.sync(session=session, shipped=load_packs(rule_packs()), now=now)
    add_logs(
        core,
        clock,
        [("wifi", "wlan0: STA aa:bb deauthenticated"), ("auth", "dropbear: bad password for root")],
    )
    first = raise_finding(
        core, clock, key="meter-1", summary="meter-1 running hot", evidence=[1, 2]
    )
    raise_finding(
        core,
        clock,
        key="camera-2",
        rule="iot.silent",
        severity="medium",
        device="camera-2",
        summary="camera-2 went quiet",
    )
    with core.db.reader() as session:
        action = actions.list_actions(
            session=session, reader=Actor.system(), state="proposed"
        ).items[0]
    return Fleet(finding_id=first.id, action_id=action.id)


async def wait_for(pilot: Pilot, predicate: Callable[[], object], what: str) -> None:
    """Let the app run until ``predicate()`` is true, for at most ``WAIT_S``."""
    deadline = time.monotonic() + WAIT_S
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT_S} s for {what}")
        await pilot.pause(0.02)


async def login(pilot: Pilot, name: str, password: str = PASSWORD) -> None:
    """Log in from the login screen and wait for the devices screen's rows."""
    app = pilot.app
    assert isinstance(app, ConsoleApp)
    app.screen.query_one("#name", Input).value = name
    app.screen.query_one("#password", Input).value = password
    app.screen.query_one("#password", Input).focus()
    await pilot.press("enter")
    await wait_for(
        pilot,
        lambda: app.current_mode == "devices" and getattr(app.screen, "loads", 0) > 0,
        "the devices screen with its rows",
    )


async def show(pilot: Pilot, key: str, mode: str) -> None:
    """Press a screen's number key and wait for its table to fill."""
    app = pilot.app
    await pilot.press(key)
    await wait_for(pilot, lambda: app.current_mode == mode, f"the {mode} screen")
    screen = app.screen
    await wait_for(pilot, lambda: screen.loads > 0, f"the {mode} data")


def table(app: App) -> DataTable:
    return app.screen.query_one("#table", DataTable)


def rows(app: App) -> list[list[str]]:
    """The table's rows as the user reads them."""
    grid = table(app)
    return [
        [str(getattr(c, "plain", c)) for c in grid.get_row_at(i)] for i in range(grid.row_count)
    ]


def notices(app: App) -> list[str]:
    """The notifications shown so far (``run_test(notifications=True)``)."""
    return [n.message for n in app._notifications]


def screen_text(app: App) -> str:
    """Every character on the screen, as the terminal would show it."""
    return "\n".join(
        "".join(s.text for s in strip) for strip in app.screen._compositor.render_strips()
    )
