"""The intents page: the bar parses as it is typed, Plan shows what would change, Apply
stores the intent (operators only), Revoke ends it, and intents submitted elsewhere appear
without a reload."""

from __future__ import annotations

import asyncio
import threading

import pytest
from nicegui import ui
from sqlmodel import select

from core.models import (
    Actor,
    ChangeLog,
    IntentCheckIn,
    IntentRecord,
    IntentStatus,
    Origin,
    Outcome,
    Role,
    Verdict,
)
from core.ports import KernelFeatures
from core.runtime import KnownKernel
from core.services import intent_lifecycle, intent_preview, intents, users
from tests.factories import make_device
from web.ui.pages import intent_bar

NO_NETEM = KernelFeatures(
    qdiscs=frozenset({"htb", "fq_codel"}), classifiers=frozenset({"u32"}), actions=frozenset()
)


@pytest.fixture
def fleet(core):
    with core.db.writer() as session:
        make_device(session, id="meter-1", type="power_meter", ip="10.0.0.11")
        make_device(session, id="camera-2", type="camera", ip="10.0.0.12")


def _stored(core) -> list[IntentRecord]:
    with core.db.reader() as session:
        return list(session.exec(select(IntentRecord).order_by(IntentRecord.id)))


def _submit(core, text: str) -> int:
    with core.db.writer() as session:
        new, _ = intents.submit(
            session=session,
            text=text,
            actor=Actor(name="cli-user", origin=Origin.CLI),
            now=core.clock.now(),
            features=None,
        )
    return new[0].id


async def test_typing_shows_the_explanation_and_the_resolved_device(fleet, viewer):
    await viewer.open("/intents")
    viewer.find(marker="intent-bar").type("limit meter-1 to 2 mbit")
    await viewer.should_see("Limit the bandwidth of meter-1 to 2 Mbit/s", retries=30)
    await viewer.should_see(kind=ui.badge, content="meter-1", retries=30)


async def test_a_newer_keystroke_wins_over_an_older_parse(fleet, viewer, monkeypatch):
    """The parse of "block camera-2" is held until the newer sentence's preview is shown,
    then let go: its late answer must not replace the newer one."""
    reading, let_go = threading.Event(), threading.Event()
    read_preview = intent_preview.preview

    def slow_for_camera(*, session, text):
        if text == "block camera-2":
            reading.set()
            let_go.wait(timeout=10)
        return read_preview(session=session, text=text)

    answered = asyncio.Event()
    read = intent_bar.read

    async def noting_answers(query):
        result = await read(query)
        if getattr(result, "text", None) == "block camera-2":
            answered.set()  # the page handles the answer before this test runs again
        return result

    monkeypatch.setattr(intent_preview, "preview", slow_for_camera)
    monkeypatch.setattr(intent_bar, "read", noting_answers)
    await viewer.open("/intents")
    bar = viewer.find(marker="intent-bar")
    bar.type("block camera-2")
    assert await asyncio.to_thread(reading.wait, 10), "the older sentence was never read"
    bar.clear()
    bar.type("limit meter-1 to 2 mbit")
    await viewer.should_see(kind=ui.badge, content="meter-1", retries=30)
    let_go.set()
    await asyncio.wait_for(answered.wait(), timeout=10)
    await viewer.should_not_see(kind=ui.badge, content="camera-2", retries=1)
    await viewer.should_see(kind=ui.badge, content="meter-1", retries=1)
    await viewer.should_see("Limit the bandwidth of meter-1", retries=1)


async def test_nonsense_shows_the_error_and_suggestions(fleet, viewer):
    await viewer.open("/intents")
    viewer.find(marker="intent-bar").type("frobnicate the wibble")
    await viewer.should_see(marker="parse-error", retries=30)
    await viewer.should_see("No intent recognised")
    await viewer.should_see(marker="suggestion")
    # Suggestions name this registry's devices (issue 21), not a made-up doorbell-1.
    viewer.find(marker="suggestion", content="prioritize meter-1").click()
    await viewer.should_see("meter-1", retries=30)
    assert viewer.find(marker="intent-bar").elements.pop().value == "prioritize meter-1"


async def test_plan_shows_what_would_change_and_stores_nothing(fleet, core, viewer):
    await viewer.open("/intents")
    viewer.find(marker="intent-bar").type("block camera-2")
    viewer.find(marker="plan-button").click()
    await viewer.should_see(marker="plan", retries=30)
    await viewer.should_see("nft rules")
    await viewer.should_see("can be applied")
    await viewer.should_see("camera-2: ")
    viewer.find(marker="intent-bar").clear()
    viewer.find(marker="intent-bar").type("limit meter-1 to 2 mbit")
    viewer.find(marker="plan-button").click()
    await viewer.should_see("Kernel classes", retries=30)
    await viewer.should_see("meter-1: ")
    assert _stored(core) == []


async def test_plan_shows_a_conflict_and_apply_is_refused(fleet, core, operator):
    _submit(core, "limit meter-1 to 2 mbit")
    await operator.open("/intents")
    operator.find(marker="intent-bar").type("limit meter-1 to 5 mbit")
    operator.find(marker="plan-button").click()
    await operator.should_see(marker="conflict", retries=30)
    await operator.should_see("would be refused")
    operator.find(marker="apply-button").click()
    await operator.should_see(marker="replace-offer", retries=30)
    assert len(_stored(core)) == 1


async def test_a_conflict_on_apply_offers_to_replace_the_live_intent(fleet, core, operator):
    old = _submit(core, "limit meter-1 to 2 mbit")
    await operator.open("/intents")
    operator.find(marker="intent-bar").type("limit meter-1 to 5 mbit")
    operator.find(marker="apply-button").click()
    await operator.should_see(marker="replace-offer", retries=30)
    with operator.scope(marker="replace-offer"):
        await operator.should_see(f"conflicts with live intent #{old}")
        await operator.should_not_see("--replaces")  # a flag the web cannot pass
    operator.find(marker="replace-button").click()
    await operator.should_see("Applied: intent", retries=30)
    await operator.should_not_see(marker="replace-offer", retries=30)
    stored = _stored(core)
    assert [(r.text, r.status) for r in stored] == [
        ("limit meter-1 to 2 mbit", IntentStatus.REVOKED),
        ("limit meter-1 to 5 mbit", IntentStatus.PLANNED),
    ]


async def test_a_parse_error_reads_as_a_sentence_not_a_code(fleet, viewer):
    await viewer.open("/intents")
    viewer.find(marker="intent-bar").type("frobnicate the wibble")
    await viewer.should_see(marker="parse-error", retries=30)
    with viewer.scope(marker="parse-error"):
        await viewer.should_not_see("no_intent")


async def test_apply_as_operator_stores_a_planned_intent(fleet, core, operator):
    await operator.open("/intents")
    operator.find(marker="intent-bar").type("limit meter-1 to 2 mbit")
    operator.find(marker="apply-button").click()
    await operator.should_see("Applied: intent", retries=30)
    stored = _stored(core)
    assert [(r.kind, r.status, r.owner, r.origin) for r in stored] == [
        ("bandwidth_limit", IntentStatus.PLANNED, "otto", "web")
    ]
    await operator.should_see(marker=f"intent-{stored[0].id}", retries=30)


async def test_apply_with_an_empty_bar_asks_for_text(fleet, core, operator):
    await operator.open("/intents")
    operator.find(marker="apply-button").click()
    await operator.should_see("Type an intent first", retries=30)
    assert _stored(core) == []


async def test_apply_of_nonsense_is_explained_and_stores_nothing(fleet, core, operator):
    await operator.open("/intents")
    operator.find(marker="intent-bar").type("frobnicate the wibble")
    operator.find(marker="apply-button").click()
    await operator.should_see("Intent not understood", retries=30)
    assert _stored(core) == []


def _denied(core) -> list[ChangeLog]:
    with core.db.reader() as session:
        return list(session.exec(select(ChangeLog).where(ChangeLog.outcome == Outcome.DENIED)))


async def test_a_viewer_cannot_apply_or_revoke(fleet, core, viewer, changes):
    intent_id = _submit(core, "block camera-2")
    await viewer.open("/intents")
    await viewer.should_see(marker=f"intent-{intent_id}", retries=30)
    apply = viewer.find(marker="apply-button").elements.pop()
    revoke = viewer.find(marker=f"revoke-{intent_id}").elements.pop()
    assert not apply.enabled and not revoke.enabled
    assert "refused" in apply._markers and "refused" in revoke._markers
    viewer.find(marker="intent-bar").type("limit meter-1 to 2 mbit")
    viewer.find(marker="apply-button").click()  # disabled: nothing happens
    await viewer.should_see("Limit the bandwidth of meter-1", retries=30)
    assert _denied(core) == []
    # A forged client enables the controls and clicks anyway.
    apply.enable()
    viewer.find(marker="apply-button").click()
    await viewer.should_see("vera (viewer) may not intents.write", retries=30)
    revoke = viewer.find(marker=f"revoke-{intent_id}").elements.pop()
    revoke.enable()
    viewer.find(marker=f"revoke-{intent_id}").click()
    await viewer.should_see(marker="revoke-confirm", retries=30)
    viewer.find(marker="revoke-confirm").click()
    await changes.until(lambda: len(_denied(core)) == 2, "the second refusal audited")
    assert [(r.kind, r.status) for r in _stored(core)] == [("block", IntentStatus.PLANNED)]
    denied = _denied(core)
    assert [(d.actor, d.kind) for d in denied] == [("vera", "denied.intents.write")] * 2


async def test_a_page_left_open_after_a_demotion_changes_nothing(fleet, core, operator):
    await operator.open("/intents")
    await operator.should_see(marker="apply-button")
    core.clock.advance(5)
    with core.db.writer() as session:
        users.set_role(
            session=session,
            name="otto",
            role=Role.VIEWER,
            actor=Actor.system(),
            now=core.clock.now(),
        )
    operator.find(marker="intent-bar").type("limit meter-1 to 2 mbit")
    operator.find(marker="apply-button").click()
    await operator.should_see("Sign in", retries=30)
    assert _stored(core) == []


async def test_revoke_ends_the_intent(fleet, core, operator):
    intent_id = _submit(core, "block camera-2")
    await operator.open("/intents")
    await operator.should_see(marker=f"revoke-{intent_id}", retries=30)
    operator.find(marker=f"revoke-{intent_id}").click()
    await operator.should_see(marker="revoke-dialog", retries=30)
    operator.find(marker="revoke-cancel").click()  # asked first: cancelling changes nothing
    await operator.should_not_see(marker="revoke-dialog", retries=30)
    assert [r.status for r in _stored(core)] == [IntentStatus.PLANNED]
    operator.find(marker=f"revoke-{intent_id}").click()
    await operator.should_see(f"Revoke intent #{intent_id}?", retries=30)
    operator.find(marker="revoke-confirm").click()
    await operator.should_see(f"Intent {intent_id} revoked", retries=30)
    assert [r.status for r in _stored(core)] == [IntentStatus.REVOKED]
    await operator.should_not_see(marker=f"intent-{intent_id}", retries=30)
    operator.find(marker="show-ended").click()
    await operator.should_see(marker=f"intent-{intent_id}", retries=30)


async def test_an_intent_submitted_elsewhere_appears_without_reload(fleet, core, viewer):
    await viewer.open("/intents")
    await viewer.should_see("No live intents.", retries=30)
    intent_id = _submit(core, "send data every 60 s for meter-1")
    await viewer.should_see(marker=f"intent-{intent_id}", retries=30)
    await viewer.should_see("cli-user via cli", retries=30)


async def test_the_list_shows_verdict_satisfaction_and_history(fleet, core, viewer):
    intent_id = _submit(core, "limit meter-1 to 2 mbit")
    with core.db.writer() as session:
        for verdict in (Verdict.SATISFIED, Verdict.VIOLATED, Verdict.SATISFIED):
            core.clock.advance(30)
            intent_lifecycle.record_check(
                session=session,
                check=IntentCheckIn(
                    intent_id=intent_id, verdict=verdict, reason="meter-1: 1.9 Mbit/s"
                ),
                violations_for_finding=3,
                now=core.clock.now(),
            )
        session.commit()
    await viewer.open("/intents")
    await viewer.should_see(marker=f"intent-{intent_id}", retries=30)
    await viewer.should_see(kind=ui.badge, marker="verdict", content="satisfied")
    await viewer.should_see("67% satisfied")
    await viewer.should_see(marker="sparkline")
    await viewer.should_see("meter-1: 1.9 Mbit/s")
    await viewer.should_see(marker=f"policies-{intent_id}")


async def test_plan_and_apply_ask_the_cores_kernel_what_it_can_enforce(fleet, core, operator):
    core.kernel = KnownKernel(NO_NETEM)
    await operator.open("/intents")
    operator.find(marker="intent-bar").type("add 80 ms of delay to camera-2")
    operator.find(marker="plan-button").click()
    await operator.should_see(marker="refusal", retries=30)
    await operator.should_see("would be refused")
    operator.find(marker="apply-button").click()
    await operator.should_see("Intent cannot be enforced here", retries=30)
    assert _stored(core) == []
