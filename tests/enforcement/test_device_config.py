"""Device policies through the reconciler: a device setting becomes an ``update_config`` in
the command queue and counts as applied only when the device's ack is stored; a refusal
fails the policy with the device's reason; silence is answered by one resend, then the
policy is unverified and a finding is raised. (Through a real broker and simulated devices:
tests/collectors/test_device_intents.py.)"""

from __future__ import annotations

from core.models import CommandState, IntentStatus, PolicyStatus
from core.pipeline.batch import IngestBatch
from core.protocol.messages import CommandAck
from core.services import commands, findings, ingest, intents
from core.services.ingest import SeriesCache
from enforcement.device_config import UNACKED_RULE
from enforcement.reconciler import Reconciler
from tests.enforcement.fakes import FakeFirewall, FakeShaper
from tests.factories import FakeClock, actor, make_device


def setup(core, clock, text="send data every 60 s for meter-1"):
    with core.db.writer() as session:
        make_device(session, id="meter-1", type="ac_meter", seen_at=clock.now())
        (stored,), _ = intents.submit(
            session=session, text=text, actor=actor(), now=clock.now(), features=None
        )
    rec = Reconciler(
        core.db,
        clock,
        shaper=FakeShaper(),
        firewall=FakeFirewall(),
        link_rate_bps=100_000_000,
    )
    return stored, rec


def queued(core):
    with core.db.reader() as session:
        return commands.list_commands(session=session, device_ref="meter-1").items


def answer(core, clock, cmd_id, result, detail=None):
    """The device's ack, stored the way the MQTT pipeline stores it."""
    ack = CommandAck("meter-1", 0, 1, cmd_id, result, detail)
    with core.db.writer() as session:
        ingest.commit_batch(
            session=session,
            batch=IngestBatch(acks=[ack]),
            series_cache=SeriesCache(),
            now=clock.now(),
        )


def shown(core, intent_id):
    with core.db.reader() as session:
        return intents.get_intent(session=session, intent_id=intent_id)


def test_a_setting_is_sent_and_applied_only_when_the_device_acks_it(core):
    clock = FakeClock()
    intent, rec = setup(core, clock)
    rec.reconcile()
    (command,) = queued(core)
    assert (command.cmd, command.params) == ("update_config", {"send_interval_s": 60})
    waiting = shown(core, intent.id)
    assert waiting.status == IntentStatus.PLANNED
    assert waiting.policies[0].status == PolicyStatus.PENDING

    rec.reconcile()
    assert len(queued(core)) == 1  # waiting for the ack sends nothing more

    answer(core, clock, command.id, "accepted")
    rec.reconcile()
    done = shown(core, intent.id)
    assert done.status == IntentStatus.ACTIVE
    assert done.policies[0].status == PolicyStatus.APPLIED
    assert done.policies[0].applied["command_id"] == command.id


def test_a_refusal_fails_the_policy_with_the_devices_reason_but_not_the_intent(core):
    clock = FakeClock()
    intent, rec = setup(core, clock)
    rec.reconcile()
    (command,) = queued(core)
    answer(core, clock, command.id, "rejected", "send_interval_s must be at least 90")
    rec.reconcile()
    done = shown(core, intent.id)
    assert done.policies[0].status == PolicyStatus.FAILED
    assert "send_interval_s must be at least 90" in done.policies[0].last_error
    assert done.status == IntentStatus.ACTIVE  # the verifier reports it as violated


def test_silence_gets_one_resend_then_the_policy_is_unverified_with_a_finding(core):
    clock = FakeClock()
    intent, rec = setup(core, clock)
    rec.reconcile()
    (first,) = queued(core)
    with core.db.writer() as session:
        commands.mark_sent(session=session, cmd_id=first.id, now=clock.now())
    clock.advance(61)
    with core.db.writer() as session:
        commands.expire_commands(session=session, now=clock.now())
    rec.reconcile()
    second = [c for c in queued(core) if c.id != first.id]
    assert [c.state for c in second] == [CommandState.PENDING]
    assert shown(core, intent.id).policies[0].status == PolicyStatus.PENDING

    with core.db.writer() as session:
        commands.mark_sent(session=session, cmd_id=second[0].id, now=clock.now())
    clock.advance(61)
    with core.db.writer() as session:
        commands.expire_commands(session=session, now=clock.now())
    rec.reconcile()
    done = shown(core, intent.id)
    assert done.policies[0].status == PolicyStatus.UNVERIFIED
    assert "never acknowledged update_config (sent 2 times)" in done.policies[0].last_error
    assert done.status == IntentStatus.ACTIVE
    assert len(queued(core)) == 2  # no third send
    with core.db.reader() as session:
        (finding,) = findings.list_findings(session=session, rule_id=UNACKED_RULE).items
    assert finding.device_id == "meter-1"
    assert finding.key == f"policy:{done.policies[0].id}"


def test_a_command_the_protocol_refuses_fails_at_once(core):
    clock = FakeClock()
    intent, rec = setup(core, clock, text="upgrade meter-1 to firmware 2.0.0")
    rec.reconcile()
    done = shown(core, intent.id)
    assert done.policies[0].status == PolicyStatus.FAILED
    assert done.policies[0].last_error.startswith("cannot send start_ota")
    assert queued(core) == []


def test_disabling_a_device_is_applied_in_the_registry(core):
    clock = FakeClock()
    intent, rec = setup(core, clock, text="disable meter-1")
    rec.reconcile()
    done = shown(core, intent.id)
    assert done.policies[0].status == PolicyStatus.APPLIED
    assert done.status == IntentStatus.ACTIVE
    with core.db.reader() as session:
        from core.services import devices

        assert devices.get_device(session=session, ref="meter-1").enabled is False
