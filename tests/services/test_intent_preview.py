"""The intent bar's service, shared by both consoles: a sentence read as it is typed (the
parse error with suggestions, or each intent's explanation and targets) and its plan
grouped by where it lands; nothing is stored."""

from __future__ import annotations

import pytest

from core.ports import KernelFeatures
from core.services import intent_preview, intents
from core.services.intents import IntentNotUnderstood
from tests.factories import FakeClock, actor, make_device

NO_NETEM = KernelFeatures(
    qdiscs=frozenset({"htb", "fq_codel"}), classifiers=frozenset({"u32"}), actions=frozenset()
)


@pytest.fixture
def fleet(core):
    with core.db.writer() as session:
        make_device(session, id="meter-1", type="power_meter", ip="10.0.0.11")
        make_device(session, id="camera-2", type="camera", ip="10.0.0.12")
        make_device(session, id="camera-3", type="camera", ip="10.0.0.13")
    return core


def preview(core, text):
    with core.db.reader() as session:
        return intent_preview.preview(session=session, text=text)


def plan(core, text, features=None):
    with core.db.reader() as session:
        return intent_preview.plan(session=session, text=text, features=features)


def test_a_sentence_shows_each_intent_and_what_it_targets(fleet):
    shown = preview(fleet, "limit cameras to 2 mbit and block 10.0.0.99")
    assert shown.ok and shown.error is None
    assert [(i.explanation, i.targets) for i in shown.intents] == [
        (
            "Limit the bandwidth of every camera to 2 Mbit/s in both directions",
            ["camera-2", "camera-3"],
        ),
        ("Block all traffic to and from the device at 10.0.0.99", ["10.0.0.99"]),
    ]


def test_a_target_that_matches_nothing_yet_is_said(fleet):
    (intent,) = preview(fleet, "block doorbell-1").intents
    assert intent.targets == []
    assert any("doorbell-1" in warning for warning in preview(fleet, "block doorbell-1").warnings)


def test_nonsense_shows_the_parse_error_and_suggestions(fleet):
    shown = preview(fleet, "frobnicate the wibble")
    assert not shown.ok and shown.intents == []
    assert shown.error is not None
    assert shown.error.message.startswith("No intent recognised")
    assert shown.error.suggestions


def test_the_plan_is_grouped_by_where_it_lands(fleet):
    planned = plan(fleet, "limit meter-1 to 2 mbit and block camera-2 and reboot camera-3")
    assert planned.ok and not planned.empty
    assert {c.target for c in planned.kernel} == {"meter-1"}  # a class each way
    assert [c.target for c in planned.firewall] == ["camera-2"]
    assert [c.target for c in planned.devices] == ["camera-3"]
    assert "meter-1" in planned.rendered


def test_a_conflict_and_a_refusal_are_sentences(fleet):
    with fleet.db.writer() as session:
        intents.submit(
            session=session,
            text="limit meter-1 to 2 mbit",
            actor=actor(),
            now=FakeClock().now(),
            features=None,
        )
    conflicting = plan(fleet, "limit meter-1 to 5 mbit")
    assert not conflicting.ok
    (conflict,) = conflicting.conflicts
    assert "two different limits" in conflict
    refused = plan(fleet, "add 80 ms of delay to camera-2", features=NO_NETEM)
    assert not refused.ok
    assert "no netem" in refused.refusals[0]
    assert plan(fleet, "add 80 ms of delay to camera-2").ok  # unknown kernel: plans for a full one


def test_planning_needs_a_readable_sentence_and_stores_nothing(fleet):
    with pytest.raises(IntentNotUnderstood):
        plan(fleet, "frobnicate the wibble")
    plan(fleet, "block camera-2")
    with fleet.db.reader() as session:
        assert intents.list_intents(session=session).items == []
