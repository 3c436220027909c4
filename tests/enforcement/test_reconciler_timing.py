"""Time in the reconciler: an intent with a duration expires, a scheduled one holds only
inside its window (its kernel state removed outside it), and ``next_change`` says when the
agent must wake. Schedules are read in the zone the reconciler is given (UTC here)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.models import IntentStatus, PolicyStatus
from core.services import intents
from enforcement.reconciler import Reconciler
from tests.enforcement.fakes import FakeFirewall, FakeShaper
from tests.factories import FakeClock, actor, make_device

MONDAY_21H = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)


def setup(core, clock, text):
    with core.db.writer() as session:
        make_device(session, id="tablet-1", type="tablet", seen_at=clock.now(), ip="10.0.0.5")
        (stored,), _ = intents.submit(
            session=session, text=text, actor=actor(), now=clock.now(), features=None
        )
    rec = Reconciler(
        core.db,
        clock,
        shaper=FakeShaper(),
        firewall=FakeFirewall(),
        link_rate_bps=100_000_000,
        tz=UTC,
    )
    return stored, rec


def shown(core, intent_id):
    with core.db.reader() as session:
        return intents.get_intent(session=session, intent_id=intent_id)


def test_an_intent_with_a_duration_expires_and_its_state_is_removed(core):
    clock = FakeClock(MONDAY_21H)
    intent, rec = setup(core, clock, "block tablet-1 for 30 minutes")
    rec.reconcile()
    assert [r.address for r in rec.firewall.read()] == ["10.0.0.5"]
    assert rec.next_change() == MONDAY_21H + timedelta(minutes=30)

    clock.advance(30 * 60)
    rec.reconcile()
    done = shown(core, intent.id)
    assert done.status == IntentStatus.EXPIRED
    assert {p.status for p in done.policies} == {PolicyStatus.REMOVED}
    assert rec.firewall.read() == []
    assert rec.next_change() is None


def test_a_schedule_holds_inside_its_window_and_waits_outside_it(core):
    clock = FakeClock(MONDAY_21H)
    intent, rec = setup(core, clock, "block tablet-1 from 22:00 to 07:00")
    rec.reconcile()
    waiting = shown(core, intent.id)
    assert waiting.status == IntentStatus.SCHEDULED
    assert rec.firewall.read() == []
    assert "outside its schedule (22:00 to 07:00 every day)" in waiting.policies[0].last_error
    assert rec.next_change() == MONDAY_21H + timedelta(hours=1)

    clock.advance(3600)  # 22:00: the window opens
    rec.reconcile()
    assert shown(core, intent.id).status == IntentStatus.ACTIVE
    assert [r.action for r in rec.firewall.read()] == ["block"]
    assert rec.next_change() == MONDAY_21H + timedelta(hours=10)  # Tuesday 07:00

    clock.advance(9 * 3600)  # Tuesday 07:00: it closes until the evening
    rec.reconcile()
    assert shown(core, intent.id).status == IntentStatus.SCHEDULED
    assert rec.firewall.read() == []
