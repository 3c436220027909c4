"""Layouts that show what matters (issue 15 item 8): an opened finding comes before the list
(above it on a phone); on a phone the logs keep their message column and the devices their
status (the rest hides below 600 px). The real widths are checked in headless Chromium
(``test_browser.test_a_phone_sized_screen``: no page scrolls sideways at 390 px)."""

from __future__ import annotations

from core.models import Role
from tests.webui.test_findings import fire
from web.ui.pages import devices, logs


async def test_an_opened_finding_comes_before_the_list(console, core, changes):
    findings = [fire(core, key=f"k-{n}", summary=f"finding {n}") for n in range(5)]
    user = await console.signed_in(Role.VIEWER)
    await user.open(f"/findings?open={findings[-1].id}")
    await changes.shows(user, "finding-detail", "finding 4")
    (layout,) = user.find(marker="findings-layout").elements
    first, second = layout.default_slot.children
    assert "detail-column" in first._markers
    assert any("finding-detail" in e._markers for e in first.descendants())
    assert any("finding-list" in e._markers for e in second.descendants())


def hidden_on_a_phone(columns: list[dict]) -> set[str]:
    return {c["name"] for c in columns if "gt-xs" in c.get("classes", "")}


def test_a_phone_keeps_the_log_message_and_the_device_status():
    assert hidden_on_a_phone(logs.COLUMNS) == {"host", "app"}
    assert {"status", "id", "last_seen"}.isdisjoint(hidden_on_a_phone(devices.COLUMNS))
    assert "lt-sm" in logs.MESSAGE_CELL  # host and app move into the message on a phone
