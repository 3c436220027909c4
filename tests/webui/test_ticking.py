"""Times that keep counting and changes that show at once (issue 15 item 3): a relative
time counts on with nothing else happening, and a change made on a page shows there from
the page's own action, not only when the feed is next polled."""

from __future__ import annotations

from core.models import Role
from tests.factories import make_device
from tests.webui.test_findings import fire


async def test_last_seen_counts_on_without_any_change(console, core, changes):
    finding = fire(core)
    user = await console.signed_in(Role.VIEWER)
    await user.open("/findings")
    await changes.shows(user, f"finding-{finding.id}", "last seen 0 s ago")
    core.clock.advance(125)  # nothing is written: only time passes
    await changes.shows(user, f"finding-{finding.id}", "last seen 2 min ago")


async def test_the_devices_table_counts_on(console, core, changes):
    with core.db.writer() as session:
        make_device(session, id="meter-1", type="power_meter", seen_at=core.clock.now())
    user = await console.signed_in(Role.VIEWER)
    await user.open("/devices")
    (table,) = user.find(marker="devices").elements
    await changes.until(lambda: [r["ago"] for r in table.rows] == ["0 s ago"], "0 s ago")
    core.clock.advance(3 * 3600)
    await changes.until(lambda: [r["ago"] for r in table.rows] == ["3 h ago"], "3 h ago")


async def test_an_intent_applied_on_the_page_shows_there_at_once(console, core):
    with core.db.writer() as session:
        make_device(session, id="meter-1", type="power_meter", ip="10.0.0.11")
    console.context.feed_timer.active = False  # no periodic poll: only the page's own action
    user = await console.signed_in(Role.OPERATOR)
    await user.open("/intents")
    await user.should_see("No live intents.", retries=30)
    user.find(marker="intent-bar").type("limit meter-1 to 2 mbit")
    user.find(marker="apply-button").click()
    await user.should_see("Applied: intent", retries=30)
    await user.should_see("limit meter-1 to 2 mbit", retries=30)
    await user.should_not_see("No live intents.", retries=30)
