"""The intent lifecycle against a registry: plan, submit, conflicts, replace, revoke."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from core.errors import InvalidInput, NotFound
from core.models import ChangeLog, IntentStatus, PolicyStatus
from core.services import intents
from tests.factories import FakeClock, actor, make_device


@pytest.fixture
def fleet(any_core):
    with any_core.db.writer() as session:
        make_device(session, id="camera-1", type="camera", ip="10.0.0.21", location="garage")
        make_device(session, id="camera-2", type="camera_ptz", ip="10.0.0.22")
        make_device(session, id="doorbell-1", type="doorbell", ip="10.0.0.30")
        make_device(session, id="meter-4", type="power_meter_dc")
    return any_core


def plan(core, text, **kwargs):
    with core.db.reader() as session:
        return intents.plan(session=session, text=text, **{"features": None, **kwargs})


def submit(core, text, **kwargs):
    with core.db.writer() as session:
        return intents.submit(
            session=session,
            text=text,
            actor=actor(),
            now=FakeClock().now(),
            **{"features": None, **kwargs},
        )


def test_a_plan_names_the_devices_and_what_changes_without_storing_anything(fleet):
    planned = plan(fleet, "limit cameras to 2 mbit and prioritize doorbell-1")
    assert planned.ok
    assert [p.devices for p in planned.intents] == [["camera-1", "camera-2"], ["doorbell-1"]]
    limits = [p for p in planned.policies if p.index == 0]
    assert sorted((p.device_id, p.spec.direction, p.spec.rate_bps) for p in limits) == [
        ("camera-1", "down", 2_000_000),
        ("camera-1", "up", 2_000_000),
        ("camera-2", "down", 2_000_000),
        ("camera-2", "up", 2_000_000),
    ]
    assert "camera-2 (10.0.0.22): download limited to 2 Mbit/s" in planned.rendered
    with fleet.db.reader() as session:
        assert intents.list_intents(session=session).items == []


def test_submit_stores_each_intent_as_planned_with_pending_policies(fleet):
    stored, ended = submit(fleet, "limit cameras to 2 mbit and prioritize doorbell-1")
    assert ended == []
    assert [(i.kind, i.status, len(i.policies)) for i in stored] == [
        ("bandwidth_limit", IntentStatus.PLANNED, 4),
        ("priority", IntentStatus.PLANNED, 2),
    ]
    assert {p.status for i in stored for p in i.policies} == {PolicyStatus.PENDING}
    assert stored[0].text == stored[1].text  # one sentence, two revocable intents
    with fleet.db.reader() as session:
        kinds = session.exec(select(ChangeLog.kind)).all()
    assert kinds.count("intent.submitted") == 2


def test_a_conflicting_intent_is_refused_until_it_replaces_the_older(fleet):
    (first,), _ = submit(fleet, "limit cameras to 2 mbit")
    planned = plan(fleet, "limit camera-1 to 5 mbit")
    assert not planned.ok
    assert "camera-1 would get two different limits" in planned.conflicts[0].message
    with pytest.raises(intents.IntentConflict, match="two different limits"):
        submit(fleet, "limit camera-1 to 5 mbit")

    (second,), ended = submit(fleet, "limit camera-1 to 5 mbit", replaces=[first.id])
    assert ended == [first.id]
    with fleet.db.reader() as session:
        old = intents.get_intent(session=session, intent_id=first.id)
    assert (old.status, old.note) == (IntentStatus.REVOKED, "replaced")
    assert {p.status for p in old.policies} == {PolicyStatus.REMOVED}
    assert second.status == IntentStatus.PLANNED


def test_a_block_and_a_priority_on_one_device_conflict(fleet):
    submit(fleet, "prioritize doorbell-1")
    assert not plan(fleet, "block doorbell-1").ok


def test_revoking_by_sentence_or_by_id(fleet):
    (limit,), _ = submit(fleet, "limit camera-1 to 1 mbit")
    (prio,), _ = submit(fleet, "prioritize doorbell-1")
    stored, ended = submit(fleet, "remove all limits for camera-1")
    assert (stored, ended) == ([], [limit.id])
    with fleet.db.writer() as session:
        revoked = intents.revoke(
            session=session, intent_id=prio.id, actor=actor(), now=FakeClock().now()
        )
        assert revoked.status == IntentStatus.REVOKED
        with pytest.raises(InvalidInput, match="already revoked"):
            intents.revoke(session=session, intent_id=prio.id, actor=actor(), now=FakeClock().now())
        with pytest.raises(NotFound):
            intents.get_intent(session=session, intent_id=999)


def test_a_duration_sets_the_expiry(fleet):
    clock = FakeClock()
    with fleet.db.writer() as session:
        (stored,), _ = intents.submit(
            session=session,
            text="limit camera-1 to 1 mbit for 30 minutes",
            actor=actor(),
            now=clock.now(),
            features=None,
        )
    assert stored.expires_at == clock.now() + timedelta(minutes=30)


def test_device_settings_become_device_config_policies(fleet):
    planned = plan(fleet, "send data every 2 minutes for meter-4")
    assert [(p.kind, p.device_id, p.spec.model_dump(mode="json")) for p in planned.policies] == [
        ("device_config", "meter-4", {"params": {"send_interval_s": 120}})
    ]


def test_a_selector_that_matches_nothing_is_a_warning_with_close_names(fleet):
    planned = plan(fleet, "limit camra-1 to 1 mbit")
    assert planned.policies == []
    assert any("camera-1" in w for w in planned.warnings)


def test_what_is_not_understood_is_refused_with_the_parse_error(fleet):
    with pytest.raises(intents.IntentNotUnderstood) as caught:
        plan(fleet, "limit cameras to 2 bananas")
    assert caught.value.result.error.code == "unknown_unit"


def test_lists_page_by_offset_and_load_all_policies_in_one_query(fleet):
    for text in ("limit camera-1 to 1 mbit", "prioritize doorbell-1", "block camera-2"):
        submit(fleet, text)
    policy_queries = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT") and "FROM policy" in statement:
            policy_queries.append(statement)

    with fleet.db.reader() as session:
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", count)
        try:
            newest = intents.list_intents(session=session, limit=2).items
            rest = intents.list_intents(session=session, offset=2, limit=2).items
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert [i.kind for i in newest] == ["block", "priority"]
    assert [(i.kind, len(i.policies)) for i in rest] == [("bandwidth_limit", 2)]
    assert [len(i.policies) for i in newest] == [1, 2]
    assert len(policy_queries) == 2  # one per list, not one per intent
