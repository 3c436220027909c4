"""A dry run never looks like success in the web console (issue 15 item 4): an intent is
"planned (dry run)", its policies "not applied — dry run: <reason>", its verdict
"unverifiable (dry run)", with no satisfaction figure; the DRY RUN banner is one line with
the reasons behind a tap."""

from __future__ import annotations

from nicegui import ui

from core.models import Actor, Origin, PolicyState, PolicyStatus, Role
from core.services import intent_lifecycle, intents, runtime
from tests.factories import make_device

REASON = "dry run: this process lacks CAP_NET_ADMIN"


def dry_run_intent(core) -> int:
    now = core.clock.now()
    with core.db.writer() as session:
        make_device(session, id="camera-2", type="camera", ip="10.0.0.12")
        (new,), _ = intents.submit(
            session=session,
            text="limit camera-2 to 2 mbit",
            actor=Actor(name="cli-user", origin=Origin.CLI),
            now=now,
            features=None,
        )
        intent_lifecycle.record_network_states(
            session=session,
            states={
                p.id: PolicyState(status=PolicyStatus.DRY_RUN, error=REASON, applied={"x": 1})
                for p in new.policies
            },
            now=now,
        )
        intent_lifecycle.settle(session=session, closed=(), actor=Actor.system(), now=now)
        runtime.put_state(
            session=session,
            key=runtime.AGENT_KEY,
            value={"enforcement": {"tc": "dry-run"}, "dry_run": ["WARDEN_ENFORCEMENT=dry-run"]},
            now=now,
        )
    return new.id


async def test_an_intent_in_a_dry_run_says_so(console, core, changes):
    intent_id = dry_run_intent(core)
    user = await console.signed_in(Role.VIEWER)
    await user.open("/intents")
    await changes.shows(user, f"intent-{intent_id}", "planned (dry run)", "unverifiable (dry run)")
    with user.scope(marker=f"intent-{intent_id}"):
        user.find(marker="policies-" + str(intent_id)).click()
        await user.should_see(f"not applied — {REASON}")
        await user.should_not_see("active")
        await user.should_not_see("satisfied")
        await user.should_not_see(marker="sparkline")
    await user.open("/")
    await changes.shows(user, "live-intents", "unverifiable (dry run)")


async def test_the_dry_run_banner_is_one_line_with_the_reason_behind_a_tap(console, core, changes):
    dry_run_intent(core)
    user = await console.signed_in(Role.VIEWER)
    await user.open("/intents")
    await changes.shows(user, "dry-run-banner", "DRY RUN: the kernel is not changed")
    (card,) = user.find(marker="dry-run-reasons").elements
    why = next(e for e in card.ancestors() if isinstance(e, ui.dialog))
    assert not why.value  # the reasons wait behind the tap
    user.find(marker="dry-run-why").click()
    await changes.until(lambda: why.value, "the reasons opened")
    await changes.shows(user, "dry-run-reasons", "WARDEN_ENFORCEMENT=dry-run")
