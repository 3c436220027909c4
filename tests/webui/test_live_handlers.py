"""Buttons drawn by a live redraw work as the person who sees them (issue 15 item 1).

A redraw started by a change made elsewhere (the CLI, a service) runs on the app's poll
timer, outside any request. The real browser's click reaches the server through the
websocket and NiceGUI runs the handler with the request remembered when the button was
created; ``click_over_the_websocket`` takes that same path (the simulated ``click`` would
run with the test's own request and hide the fault)."""

from __future__ import annotations

import contextvars

from core.models import Actor, FindingStatus, IntentStatus, Origin, Role
from core.services import findings, intents
from tests.factories import make_device
from tests.webui.test_findings import fire, stored


def click_over_the_websocket(user, marker: str) -> None:
    """Click the element marked ``marker`` as NiceGUI's websocket handler would."""
    (element,) = user.find(marker=marker).elements

    def dispatch() -> None:
        with user.client:
            for listener in list(element._event_listeners.values()):
                if listener.type == "click":
                    element._handle_event({"listener_id": listener.id, "args": None})

    contextvars.Context().run(dispatch)  # a websocket event carries no request of its own


async def test_acknowledge_works_after_a_redraw_caused_elsewhere(console, core, changes):
    first = fire(core, key="k-1", summary="first finding")
    other = fire(core, key="k-2", summary="second finding")
    user = await console.signed_in(Role.OPERATOR)
    await user.open(f"/findings?open={first.id}")
    await changes.shows(user, "finding-detail", "first finding")
    (first_drawn,) = user.find(marker="finding-ack").elements
    with core.db.writer() as session:  # another console acknowledges another finding
        findings.acknowledge(
            session=session, finding_id=other.id, actor=Actor.system(), now=core.clock.now()
        )
    await user.should_see(marker=f"status-{other.id}", content="acknowledged", retries=30)

    def redrawn() -> bool:  # the detail was drawn again by the live redraw
        try:
            shown = user.find(marker="finding-ack").elements
        except AssertionError:  # cleared, not drawn yet
            return False
        return any(e is not first_drawn for e in shown)

    await changes.until(redrawn, "the detail redrawn live")
    click_over_the_websocket(user, "finding-ack")
    await user.should_see(f"Finding {first.id} acknowledged.", retries=30)
    assert stored(core, first.id).status == FindingStatus.ACKNOWLEDGED


async def test_revoke_works_on_an_intent_that_arrived_live(console, core, changes):
    with core.db.writer() as session:
        make_device(session, id="camera-2", type="camera", ip="10.0.0.12")
    user = await console.signed_in(Role.OPERATOR)
    await user.open("/intents")
    await user.should_see("No live intents.", retries=30)
    with core.db.writer() as session:
        (new,), _ = intents.submit(
            session=session,
            text="block camera-2",
            actor=Actor(name="cli-user", origin=Origin.CLI),
            now=core.clock.now(),
            features=None,
        )
    await user.should_see(marker=f"revoke-{new.id}", retries=30)
    click_over_the_websocket(user, f"revoke-{new.id}")
    await user.should_see(marker="revoke-confirm", retries=30)
    click_over_the_websocket(user, "revoke-confirm")
    await user.should_see(f"Intent {new.id} revoked", retries=30)
    with core.db.reader() as session:
        assert intents.get_intent(session=session, intent_id=new.id).status == IntentStatus.REVOKED


async def test_an_action_that_fails_says_so_to_the_person_who_clicked(
    console, core, changes, monkeypatch
):
    finding = fire(core)

    def broken(**_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(findings, "acknowledge", broken)
    user = await console.signed_in(Role.OPERATOR)
    await user.open(f"/findings?open={finding.id}")
    await changes.shows(user, "finding-detail", finding.summary)
    click_over_the_websocket(user, "finding-ack")
    await user.should_see("That did not work: RuntimeError: disk full", retries=30)
