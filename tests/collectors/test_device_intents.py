"""Device intents end to end: a typed intent, the agent's reconciler, the command queue, a
real broker and a simulated power meter that applies (or refuses) the setting, then the
verification loop judging what the device did."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.models import CommandState, IntentStatus, PolicyStatus, Verdict
from core.runtime import Core
from core.services import commands, devices, intents
from simulator import Fleet, FleetConfig
from tests.collectors.conftest import wait_until
from tests.factories import actor
from warden.agent import Agent

METER = "dc-meter-001"


@pytest.fixture
def meter(agent: Agent, agent_core: Core, broker) -> Iterator[str]:
    """One DC meter at real time (rate 1: its report timestamps are wall-clock times, so a
    faster fleet would show a faster cadence), registered with the agent."""
    fleet = Fleet(FleetConfig(brokers=[broker.url], counts={"dc_meter": 1}, seed=3))
    fleet.start()
    try:
        assert fleet.wait_connected(10)
        wait_until(lambda: registered(agent_core), timeout=20, what=f"{METER} to register")
        yield METER
    finally:
        fleet.stop()


def registered(core: Core) -> bool:
    with core.db.reader() as session:
        return any(d.id == METER for d in devices.list_devices(session=session).items)


def submit(core: Core, text: str) -> int:
    with core.db.writer() as session:
        (stored,), _ = intents.submit(
            session=session, text=text, actor=actor(), now=core.clock.now(), features=None
        )
    return stored.id


def shown(core: Core, intent_id: int) -> intents.IntentPublic:
    with core.db.reader() as session:
        return intents.get_intent(session=session, intent_id=intent_id)


def command_state(core: Core, device_id: str) -> CommandState | None:
    with core.db.reader() as session:
        found = commands.list_commands(session=session, device_ref=device_id, limit=1).items
    return found[0].state if found else None


def judged_verdict(agent: Agent, intent_id: int) -> Verdict | None:
    """One verification pass (as the agent's job runs it); the intent's verdict."""
    return agent.verifier.verify().get(intent_id)


def test_a_meter_reports_at_the_interval_an_intent_set(agent, agent_core, meter):
    intent_id = submit(agent_core, f"send data every 2 s for {meter}")

    wait_until(
        lambda: command_state(agent_core, meter) == CommandState.ACCEPTED,
        timeout=10,
        what="the meter to accept update_config",
    )
    wait_until(
        lambda: shown(agent_core, intent_id).status == IntentStatus.ACTIVE,
        timeout=10,
        what="the intent to become active",
    )
    (policy,) = shown(agent_core, intent_id).policies
    assert (policy.kind, policy.status) == ("device_config", PolicyStatus.APPLIED)
    assert policy.spec.params == {"send_interval_s": 2}

    wait_until(
        lambda: judged_verdict(agent, intent_id) != Verdict.UNVERIFIABLE,
        timeout=15,
        what="three report intervals after the ack",
    )
    judged = shown(agent_core, intent_id)
    (policy,) = judged.policies
    assert policy.measured["report_interval_s"] == pytest.approx(2, rel=0.1)
    assert judged.verdict == Verdict.SATISFIED, judged.verdict_reason
    assert policy.verdict == Verdict.SATISFIED
    assert judged.satisfaction > 0


def test_a_meter_that_refuses_a_setting_fails_its_policy_with_its_reason(agent, agent_core, meter):
    intent_id = submit(agent_core, f"enable power saving on {meter}")

    wait_until(
        lambda: command_state(agent_core, meter) == CommandState.REJECTED,
        timeout=10,
        what="the meter to reject update_config",
    )
    wait_until(
        lambda: shown(agent_core, intent_id).policies[0].status == PolicyStatus.FAILED,
        timeout=10,
        what="the policy to fail",
    )
    refused = shown(agent_core, intent_id)
    (policy,) = refused.policies
    assert "unknown setting power_saving" in policy.last_error
    assert refused.status == IntentStatus.ACTIVE  # a refusing device does not fail the intent

    wait_until(
        lambda: judged_verdict(agent, intent_id) == Verdict.VIOLATED,
        timeout=5,
        what="the verifier to judge the intent",
    )
    judged = shown(agent_core, intent_id)
    assert "unknown setting power_saving" in judged.verdict_reason
    assert judged.policies[0].verdict == Verdict.VIOLATED
