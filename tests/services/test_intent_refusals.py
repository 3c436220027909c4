"""What a gateway refuses at plan time: an impairment where the kernel has no netem, and a
device setting given a schedule or a duration (Warden could not undo it). A refused
sentence is shown with its reason and never stored."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core.models import ChangeLog, IntentStatus, PolicyRecord
from core.ports import KernelFeatures
from core.services import intents
from enforcement.dryrun import EVERYTHING
from tests.factories import FakeClock, actor, make_device

NO_NETEM = KernelFeatures(
    qdiscs=frozenset({"htb", "pfifo"}),
    classifiers=frozenset({"u32"}),
    actions=frozenset({"mirred"}),
)
DELAY = "add 100 ms delay to dev-1"


@pytest.fixture
def fleet(core):
    with core.db.writer() as session:
        make_device(session, id="dev-1", type="camera", ip="192.168.1.50")
        make_device(session, id="meter-1", type="power_meter")
    return core


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


def nothing_stored(core) -> bool:
    with core.db.reader() as session:
        return (
            intents.list_intents(session=session).items == []
            and session.exec(select(PolicyRecord)).all() == []
            and session.exec(select(ChangeLog).where(ChangeLog.kind == "intent.submitted")).all()
            == []
        )


def test_an_impairment_is_refused_where_the_kernel_has_no_netem(fleet):
    planned = plan(fleet, DELAY, features=NO_NETEM)
    assert not planned.ok
    assert planned.conflicts == []
    (refusal,) = planned.refusals
    assert refusal.startswith("Add 100 ms of delay to the traffic of dev-1: ")
    assert "no netem" in refusal
    assert "Refused: " + refusal in planned.rendered

    with pytest.raises(intents.IntentRefused) as refused:
        submit(fleet, DELAY, features=NO_NETEM)
    assert refused.value.messages == [refusal]
    assert nothing_stored(fleet)


def test_an_impairment_is_allowed_where_netem_is_known_or_the_kernel_is_unknown(fleet):
    for features in (None, EVERYTHING):
        planned = plan(fleet, DELAY, features=features)
        assert planned.ok and planned.refusals == []
        assert "Refused" not in planned.rendered
    (stored,), _ = submit(fleet, DELAY, features=EVERYTHING)
    assert (stored.kind, stored.status) == ("impair", IntentStatus.PLANNED)


def test_only_the_impairment_of_a_sentence_is_named_and_the_whole_sentence_is_refused(fleet):
    text = "limit dev-1 to 2 mbit and add 100 ms delay to dev-1"
    assert plan(fleet, "limit dev-1 to 2 mbit", features=NO_NETEM).ok
    planned = plan(fleet, text, features=NO_NETEM)
    (refusal,) = planned.refusals
    assert refusal.startswith("intent 2 (Add 100 ms of delay to the traffic of dev-1): ")
    with pytest.raises(intents.IntentRefused):
        submit(fleet, text, features=NO_NETEM)
    assert nothing_stored(fleet)


@pytest.mark.parametrize(
    "text",
    [
        "send data every 60 s for meter-1 for 2 hours",
        "send data every 60 s for meter-1 on weekdays",
        "disable meter-1 from 22:00 to 07:00",
        "reboot meter-1 for 2 hours",
    ],
)
def test_a_device_setting_with_a_schedule_or_a_duration_is_refused(fleet, text):
    planned = plan(fleet, text)  # whatever the kernel offers
    assert not planned.ok
    (refusal,) = planned.refusals
    assert "cannot undo" in refusal
    with pytest.raises(intents.IntentRefused, match="cannot undo"):
        submit(fleet, text)
    assert nothing_stored(fleet)


def test_network_intents_and_untimed_device_settings_may_be_timed_or_not(fleet):
    for text in (
        "limit dev-1 to 2 mbit for 2 hours",
        "add 100 ms delay to dev-1 from 22:00 to 07:00",
        "send data every 60 s for meter-1",
    ):
        planned = plan(fleet, text, features=EVERYTHING)
        assert planned.ok, (text, planned.refusals)
