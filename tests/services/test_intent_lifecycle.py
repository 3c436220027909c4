"""The intent lifecycle service, the one owner of intent and policy states: a pass's
policy states settle the intent, an expired or revoked intent's policies are removed, a
steady pass writes nothing, and checks keep the counters, the history and the violated
streak with its finding."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core.errors import NotFound
from core.models import (
    Actor,
    ChangeLog,
    FindingStatus,
    IntentCheckIn,
    IntentStatus,
    PolicyCheck,
    PolicyRecord,
    PolicyState,
    PolicyStatus,
    Verdict,
)
from core.services import findings, intent_lifecycle, intents
from core.services.intent_lifecycle import VIOLATED_RULE
from tests.factories import FakeClock, actor, make_device

ENGINE = Actor.system("enforcement")


@pytest.fixture
def fleet(any_core):
    with any_core.db.writer() as session:
        make_device(session, id="camera-1", type="camera", ip="10.0.0.21")
        make_device(session, id="meter-1", type="power_meter")
    return any_core


def submit(core, clock, text):
    with core.db.writer() as session:
        (stored,), _ = intents.submit(
            session=session, text=text, actor=actor(), now=clock.now(), features=None
        )
    return stored


def shown(core, intent_id):
    with core.db.reader() as session:
        return intents.get_intent(session=session, intent_id=intent_id)


def changes(core) -> list[str]:
    with core.db.reader() as session:
        return list(session.exec(select(ChangeLog.kind).order_by(ChangeLog.id)))


def record_pass(core, clock, states, closed=None):
    with core.db.writer() as session:
        intent_lifecycle.record_network_states(session=session, states=states, now=clock.now())
        intent_lifecycle.hold_back(session=session, closed=closed or {}, now=clock.now())
        intent_lifecycle.settle(session=session, closed=closed or {}, actor=ENGINE, now=clock.now())
        session.commit()


def test_applied_policies_settle_the_intent_active_and_a_steady_pass_writes_nothing(fleet):
    clock = FakeClock()
    limit = submit(fleet, clock, "limit camera-1 to 2 mbit")
    applied = PolicyState(status=PolicyStatus.APPLIED, applied={"minor": 17})
    record_pass(fleet, clock, dict.fromkeys((p.id for p in limit.policies), applied))
    first = shown(fleet, limit.id)
    assert first.status == IntentStatus.ACTIVE
    assert {(p.status, p.applied["minor"]) for p in first.policies} == {(PolicyStatus.APPLIED, 17)}
    assert changes(fleet).count("intent.activated") == 1

    clock.advance(30)
    record_pass(fleet, clock, dict.fromkeys((p.id for p in limit.policies), applied))
    assert shown(fleet, limit.id).updated_at == first.updated_at
    with fleet.db.reader() as session:
        rows = session.exec(select(PolicyRecord).where(PolicyRecord.intent_id == limit.id))
        assert {r.updated_at for r in rows} == {first.updated_at}
    assert changes(fleet).count("intent.activated") == 1


def test_a_failed_policy_fails_the_intent_with_its_reason(fleet):
    clock = FakeClock()
    limit = submit(fleet, clock, "limit camera-1 to 2 mbit")
    down, up = limit.policies
    record_pass(
        fleet,
        clock,
        {
            down.id: PolicyState(status=PolicyStatus.FAILED, error="RTNETLINK answers: busy"),
            up.id: PolicyState(status=PolicyStatus.PENDING),
        },
    )
    failed = shown(fleet, limit.id)
    assert (failed.status, failed.note) == (IntentStatus.FAILED, "RTNETLINK answers: busy")
    assert failed.ended_at == clock.now()


def test_outside_its_window_an_intent_is_scheduled_and_its_policies_wait(fleet):
    clock = FakeClock()
    block = submit(fleet, clock, "block camera-1 from 22:00 to 07:00")
    (policy,) = block.policies
    applied = PolicyState(status=PolicyStatus.APPLIED, applied={"address": "10.0.0.21"})
    record_pass(fleet, clock, {policy.id: applied})
    assert shown(fleet, block.id).status == IntentStatus.ACTIVE

    record_pass(fleet, clock, {}, closed={block.id: "outside its schedule"})
    waiting = shown(fleet, block.id)
    assert waiting.status == IntentStatus.SCHEDULED
    assert [(p.status, p.last_error, p.applied) for p in waiting.policies] == [
        (PolicyStatus.PENDING, "outside its schedule", None)
    ]


def test_a_device_policy_waiting_for_its_ack_keeps_the_intent_planned(fleet):
    clock = FakeClock()
    setting = submit(fleet, clock, "send data every 60 s for meter-1")
    (policy,) = setting.policies
    waiting = PolicyState(status=PolicyStatus.PENDING, error="waiting for the device")
    with fleet.db.writer() as session:
        intent_lifecycle.set_policy_state(
            session=session, policy_id=policy.id, state=waiting, now=clock.now()
        )
        intent_lifecycle.settle(session=session, closed={}, actor=ENGINE, now=clock.now())
        session.commit()
    assert shown(fleet, setting.id).status == IntentStatus.PLANNED
    acked = PolicyState(status=PolicyStatus.APPLIED, applied={"command_id": "c-1"})
    with fleet.db.writer() as session:
        intent_lifecycle.set_policy_state(
            session=session, policy_id=policy.id, state=acked, now=clock.now()
        )
        intent_lifecycle.settle(session=session, closed={}, actor=ENGINE, now=clock.now())
        session.commit()
        with pytest.raises(NotFound):
            intent_lifecycle.set_policy_state(
                session=session, policy_id=9999, state=acked, now=clock.now()
            )
    assert shown(fleet, setting.id).status == IntentStatus.ACTIVE


def test_an_intent_whose_duration_ran_out_expires_and_its_policies_are_removed(fleet):
    clock = FakeClock()
    short = submit(fleet, clock, "block camera-1 for 30 minutes")
    lasting = submit(fleet, clock, "limit camera-1 to 2 mbit")
    clock.advance(timedelta(minutes=30).total_seconds())
    with fleet.db.writer() as session:
        assert intent_lifecycle.expire_due(session=session, actor=ENGINE, now=clock.now()) == [
            short.id
        ]
    expired = shown(fleet, short.id)
    assert (expired.status, expired.note) == (IntentStatus.EXPIRED, "its duration ran out")
    assert {p.status for p in expired.policies} == {PolicyStatus.REMOVED}
    assert shown(fleet, lasting.id).status == IntentStatus.PLANNED
    assert "intent.expired" in changes(fleet)


def test_ending_an_intent_that_is_no_longer_live_changes_nothing(fleet):
    clock = FakeClock()
    limit = submit(fleet, clock, "limit camera-1 to 2 mbit")
    with fleet.db.writer() as session:
        intent_lifecycle.end(
            session=session, intent_id=limit.id, why="revoked", actor=actor(), now=clock.now()
        )
        session.commit()
    clock.advance(60)
    with fleet.db.writer() as session:
        intent_lifecycle.end(
            session=session, intent_id=limit.id, why="replaced", actor=actor(), now=clock.now()
        )
        with pytest.raises(NotFound):
            intent_lifecycle.end(
                session=session, intent_id=9999, why="revoked", actor=actor(), now=clock.now()
            )
        session.commit()
    ended = shown(fleet, limit.id)
    assert (ended.status, ended.note, ended.ended_at) == (
        IntentStatus.REVOKED,
        "revoked",
        clock.now() - timedelta(seconds=60),
    )
    assert changes(fleet).count("intent.revoked") == 1


def test_checks_count_keep_history_and_a_violated_streak_raises_a_finding(fleet):
    clock = FakeClock()
    limit = submit(fleet, clock, "limit camera-1 to 2 mbit")
    down = limit.policies[0]

    def check(verdict: Verdict) -> None:
        clock.advance(30)
        with fleet.db.writer() as session:
            intent_lifecycle.record_check(
                session=session,
                check=IntentCheckIn(
                    intent_id=limit.id,
                    verdict=verdict,
                    reason=f"camera-1: {verdict}",
                    policies=[
                        PolicyCheck(policy_id=down.id, verdict=verdict, measured={"rate": 1})
                    ],
                ),
                violations_for_finding=2,
                now=clock.now(),
            )
            session.commit()

    def open_findings():
        with fleet.db.reader() as session:
            return findings.list_findings(session=session, rule_id=VIOLATED_RULE).items

    check(Verdict.VIOLATED)
    assert open_findings() == []
    check(Verdict.VIOLATED)
    (finding,) = open_findings()
    assert (finding.key, finding.status) == (f"intent:{limit.id}", FindingStatus.OPEN)
    assert "violated 2 checks in a row: camera-1: violated" in finding.summary
    check(Verdict.SATISFIED)
    (finding,) = open_findings()
    assert finding.status == FindingStatus.RESOLVED

    checked = shown(fleet, limit.id)
    assert (checked.verdict, checked.verdict_reason) == (Verdict.SATISFIED, "camera-1: satisfied")
    assert (checked.checks, checked.satisfaction, checked.checked_at) == (3, 0.3333, clock.now())
    policy = next(p for p in checked.policies if p.id == down.id)
    assert (policy.verdict, policy.measured) == (Verdict.SATISFIED, {"rate": 1})
    with fleet.db.reader() as session:
        history = intents.history(session=session, intent_id=limit.id)
    assert [h.verdict for h in history] == [Verdict.SATISFIED, Verdict.VIOLATED, Verdict.VIOLATED]

    clock.advance(timedelta(days=7, seconds=1).total_seconds())
    with fleet.db.writer() as session:
        intent_lifecycle.prune_checks(session=session, now=clock.now())
        session.commit()
    with fleet.db.reader() as session:
        assert intents.history(session=session, intent_id=limit.id) == []
    assert shown(fleet, limit.id).checks == 3
