"""The actions page in simulated browsers: the approval queue with the rendered steps,
approving, rejecting with a reason asked in a dialog, a viewer's buttons disabled and a
forced click refused and audited, the history with each step's output, and actions
proposed or finished by other processes appearing live."""

from __future__ import annotations

from core.models import ActionState, Actor, Outcome, Role
from core.playbooks import parse_playbook
from core.services import actions, audit, findings
from core.services.playbooks import PLAYBOOKS
from tests.factories import make_device

LIVE_RETRIES = 20


def store_playbook(core, *, mode: str = "suggest") -> None:
    with core.db.writer() as session:
        PLAYBOOKS.sync(
            session=session,
            shipped=[
                parse_playbook(
                    {
                        "pack": "test",
                        "id": "test.check-hot",
                        "name": "Check a hot sensor",
                        "on": ["test.hot"],
                        "mode": mode,
                        "steps": [
                            {
                                "kind": "diagnostic",
                                "template": "echo",
                                "params": {"device": "{device}", "ip": "{ip}"},
                            },
                            {"kind": "command", "cmd": "request_status"},
                        ],
                    }
                )
            ],
            now=core.clock.now(),
        )


def propose(core, *, key: str = "temp-1", summary: str = "temp-1 is hot"):
    """A finding on ``test.hot``, which makes the stored playbook propose an action."""
    with core.db.writer() as session:
        findings.raise_finding(
            session=session,
            now=core.clock.now(),
            firing=findings.FindingIn(
                rule_id="test.hot",
                severity="high",
                key=key,
                device_id="temp-1",
                ts_ms=int(core.clock.now().timestamp() * 1000),
                summary=summary,
            ),
        )
    return newest(core)


def newest(core):
    with core.db.reader() as session:
        return actions.list_actions(session=session, reader=Actor.system(), limit=1).items[0]


def stored(core, action_id: int):
    with core.db.reader() as session:
        return actions.get_action(session=session, action_id=action_id, reader=Actor.system())


async def on_actions_page(console, role: Role, core):
    with core.db.writer() as session:
        make_device(session, id="temp-1", type="sensor_temp", ip="192.168.1.20")
    store_playbook(core)
    user = await console.signed_in(role)
    return user


async def test_an_operator_approves_a_proposed_action(console, core):
    user = await on_actions_page(console, Role.OPERATOR, core)
    action = propose(core)
    assert action.state == ActionState.PROPOSED
    await user.open("/actions")
    await user.should_see(marker=f"proposed-{action.id}")
    # What is approved is what runs: the steps with their placeholders filled in.
    await user.should_see(marker=f"action-steps-{action.id}")
    await user.should_see("1. run: echo temp-1 192.168.1.20")
    await user.should_see('2. command: {"cmd": "request_status"}')
    user.find(marker=f"approve-{action.id}").click()
    await user.should_see(f"Action {action.id} approved", retries=30)
    await user.should_see(marker=f"action-state-{action.id}", content="approved", retries=30)
    await user.should_not_see(marker=f"proposed-{action.id}")
    after = stored(core, action.id)
    assert (after.state, after.decided_by) == (ActionState.APPROVED, "otto")


async def test_rejecting_asks_for_a_reason(console, core):
    user = await on_actions_page(console, Role.OPERATOR, core)
    action = propose(core)
    await user.open("/actions")
    user.find(marker=f"reject-{action.id}").click()
    await user.should_see(f"Reject action {action.id}", retries=30)
    user.find(marker="reject-confirm").click()
    await user.should_see(marker="reject-error", content="Say why", retries=30)
    assert stored(core, action.id).state == ActionState.PROPOSED

    user.find(marker="reject-reason").type("the sensor is in the sun, not broken")
    user.find(marker="reject-confirm").click()
    await user.should_see(f"Action {action.id} rejected.", retries=30)
    await user.should_see(marker=f"done-{action.id}", retries=30)
    await user.should_see(
        marker=f"action-reason-{action.id}", content="the sensor is in the sun, not broken"
    )
    after = stored(core, action.id)
    assert (after.state, after.decided_by, after.reason) == (
        ActionState.REJECTED,
        "otto",
        "the sensor is in the sun, not broken",
    )


async def test_a_viewer_cannot_decide_and_a_forced_click_is_refused_and_audited(console, core):
    user = await on_actions_page(console, Role.VIEWER, core)
    action = propose(core)
    await user.open("/actions")
    for marker in (f"approve-{action.id}", f"reject-{action.id}"):
        (button,) = user.find(marker=marker).elements
        assert not button.enabled and "refused" in button._markers
    user.find(marker=f"approve-{action.id}").trigger("click")
    await user.should_see("vera (viewer) may not actions.decide", retries=30)
    assert stored(core, action.id).state == ActionState.PROPOSED
    with core.db.reader() as session:
        (refusal,) = audit.list_audit(
            session=session, actor=Actor.system(), actor_name="vera", outcome=Outcome.DENIED
        ).items
    assert refusal.kind == "denied.actions.decide"


async def test_new_and_finished_actions_appear_live_with_their_output(console, core):
    user = await on_actions_page(console, Role.OPERATOR, core)
    await user.open("/actions")
    await user.should_see("Nothing waits for a decision.")
    action = propose(core, summary="temp-1 is very hot")
    await user.should_see(marker=f"proposed-{action.id}", retries=LIVE_RETRIES)
    await user.should_see("Check a hot sensor: temp-1 is very hot")

    with core.db.writer() as session:
        actions.approve(
            session=session, action_id=action.id, actor=Actor.system("cli"), now=core.clock.now()
        )
        actions.claim_approved(session=session, now=core.clock.now())
        actions.finish(
            session=session,
            action_id=action.id,
            results=[
                {"kind": "diagnostic", "ok": True, "output": "temp-1 192.168.1.20\n"},
                {"kind": "command", "ok": False, "error": "<b>device offline</b>"},
            ],
            now=core.clock.now(),
        )
    await user.should_see(marker=f"done-{action.id}", retries=LIVE_RETRIES)
    await user.should_see(marker=f"action-state-{action.id}", content="failed")
    await user.should_see(marker=f"action-results-{action.id}")
    await user.should_see("temp-1 192.168.1.20")
    await user.should_see("2. command: failed")
    await user.should_see("<b>device offline</b>")  # literal text, not markup
    await user.should_not_see(marker=f"proposed-{action.id}")
    await user.should_not_see(marker=f"action-output-hidden-{action.id}")


async def test_a_viewer_sees_how_an_action_went_but_not_what_its_steps_printed(console, core):
    user = await on_actions_page(console, Role.VIEWER, core)
    action = propose(core)
    with core.db.writer() as session:
        actions.approve(
            session=session, action_id=action.id, actor=Actor.system("cli"), now=core.clock.now()
        )
        actions.claim_approved(session=session, now=core.clock.now())
        actions.finish(
            session=session,
            action_id=action.id,
            results=[
                {"kind": "diagnostic", "ok": True, "output": "root:x:0:0:secret-line\n"},
                {"kind": "command", "ok": True, "output": "request_status queued"},
            ],
            now=core.clock.now(),
        )
    await user.open("/actions")
    await user.should_see(marker=f"action-state-{action.id}", content="succeeded")
    await user.should_see("1. diagnostic: ok")
    await user.should_see(
        marker=f"action-output-hidden-{action.id}",
        content="step output is shown to the operator role and above (vera is a viewer)",
    )
    await user.should_not_see("secret-line")
    await user.open(f"/findings?open={action.finding_id}")
    await user.should_see(marker=f"related-{action.id}", content="succeeded")
    await user.should_not_see("secret-line")


async def test_a_findings_detail_lists_its_actions(console, core):
    user = await on_actions_page(console, Role.VIEWER, core)
    action = propose(core, summary="temp-1 runs hot")
    await user.open(f"/findings?open={action.finding_id}")
    await user.should_see(marker=f"related-{action.id}", content="proposed")
    await user.should_see("Check a hot sensor: temp-1 runs hot")
    with core.db.writer() as session:
        actions.reject(
            session=session,
            action_id=action.id,
            actor=Actor.system("cli"),
            now=core.clock.now(),
            reason="not now",
        )
    await user.should_see(marker=f"related-{action.id}", content="rejected", retries=LIVE_RETRIES)
