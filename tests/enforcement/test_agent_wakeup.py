"""The running agent applies an intent submitted from another connection (as the CLI, the
REST API or a console does) when it is committed, not when its poll next comes round: with
the poll set to a minute, the class still reaches the kernel (read back with ``tc``) well
before the poll could have come round."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import load_settings
from core.db import Database
from core.models import Actor, DeviceCreate
from core.runtime import Core, open_core
from core.services import devices, intents
from tests.collectors.conftest import wait_until
from tests.enforcement.conftest import Lan, in_ns, require_net_admin
from warden import agent as agent_module
from warden.agent import Agent

POLL_S = 60
"""The agent's fallback poll in this test: far longer than the test waits."""
WAIT_S = 20


def kernel_rates(lan: Lan) -> dict[str, str]:
    """Class id → rate of Warden's device classes on lan0, as ``tc`` prints them."""
    shown = in_ns(lan.gw, "tc", "class", "show", "dev", "lan0").stdout
    return dict(re.findall(r"class htb (5744:(?!1 |fffe )\S+) .*?\brate (\S+) ", shown))


@pytest.fixture
def gateway_core(lan: Lan, tmp_path: Path) -> Iterator[Core]:
    require_net_admin()
    settings = load_settings(
        data_dir=tmp_path / "data",
        disabled_collectors="mqtt,syslog",
        lan_ifaces="lan0",
        enforcement_netns=lan.gw,
        enforcement="kernel",
    )
    opened = open_core(settings)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def slow_polling_agent(gateway_core: Core, monkeypatch: pytest.MonkeyPatch) -> Iterator[Agent]:
    monkeypatch.setattr(agent_module, "RECONCILE_POLL_S", POLL_S)
    monkeypatch.setattr(agent_module, "RECONCILE_EVERY_S", 10 * POLL_S)
    running = Agent(gateway_core)
    running.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.mark.root
def test_a_submitted_intent_reaches_the_kernel_without_waiting_for_the_poll(
    lan: Lan, gateway_core: Core, slow_polling_agent: Agent
) -> None:
    other = Database(gateway_core.db.url)  # another connection, as another process has
    operator = Actor.system("operator")
    try:
        with other.writer() as session:
            devices.register_device(
                session=session,
                create=DeviceCreate(id="dev-1", type="camera", ip=lan.dev_ip),
                actor=operator,
            )
        with other.writer() as session:
            first, _ = intents.submit(
                session=session,
                text="limit download of dev-1 to 4 mbit",
                actor=operator,
                now=gateway_core.clock.now(),
                features=None,
            )
        wait_until(
            lambda: list(kernel_rates(lan).values()) == ["4Mbit"],
            timeout=WAIT_S,
            what="the 4 Mbit class",
        )
        (class_id,) = kernel_rates(lan)

        # A replacement changes the same class in place (it keeps its class id).
        with other.writer() as session:
            intents.submit(
                session=session,
                text="limit download of dev-1 to 3 mbit",
                actor=operator,
                now=gateway_core.clock.now(),
                replaces=[first[0].id],
                features=None,
            )
        wait_until(
            lambda: kernel_rates(lan) == {class_id: "3Mbit"},  # changed in place
            timeout=WAIT_S,
            what="the replacement",
        )
    finally:
        other.dispose()
