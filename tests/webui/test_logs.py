"""The logs page: the newest lines in one table, filtered by host, class and text, new
lines arriving live in batches, a capped buffer, pause/resume, and untrusted text shown as
text."""

from __future__ import annotations

from nicegui import ui

from core.clock import to_ms
from core.services import logs
from core.services.logs import LogLine
from web.ui.pages import logs as logs_page
from web.ui.pages.logs import BUFFER


def ingest(core, messages: list[str], *, host: str = "gw-router", log_class: str = "wifi"):
    now_ms = to_ms(core.clock.now())
    with core.db.writer() as session:
        logs.ingest_batch(
            session=session,
            lines=[
                LogLine(
                    ts_ms=now_ms + i,
                    received_ms=now_ms,
                    source="udp",
                    source_ip="10.0.0.1",
                    host=host,
                    app="hostapd",
                    pid=None,
                    facility=3,
                    severity=6,
                    log_class=log_class,
                    message=message,
                )
                for i, message in enumerate(messages)
            ],
        )


def shown(user) -> list[str]:
    table = user.find(marker="log-tail").elements.pop()
    assert isinstance(table, ui.table)
    return [row["message"] for row in table.rows]


async def test_the_page_shows_the_stored_lines_newest_first(console, core, viewer, changes):
    ingest(core, ["wlan0: STA aa:bb associated", "wlan0: STA aa:bb deauthenticated"])
    await viewer.open("/logs")
    await changes.until(lambda: len(shown(viewer)) == 2)
    assert shown(viewer) == ["wlan0: STA aa:bb deauthenticated", "wlan0: STA aa:bb associated"]
    table = viewer.find(marker="log-tail").elements.pop()
    assert {row["host"] for row in table.rows} == {"gw-router"}
    assert {row["colour"] for row in table.rows} == {"blue"}
    await viewer.should_see("live · 2 lines")


async def test_filters_by_host_class_and_text(console, core, viewer, changes):
    ingest(core, ["from the router"], host="gw-router", log_class="wifi")
    ingest(core, ["from the ap: login failed"], host="ap-2", log_class="auth")
    await viewer.open("/logs")
    await changes.until(lambda: len(shown(viewer)) == 2)
    viewer.find(marker="filter-host").type("ap-2")
    await changes.until(lambda: shown(viewer) == ["from the ap: login failed"])
    viewer.find(marker="filter-host").clear()
    await changes.until(lambda: len(shown(viewer)) == 2)
    viewer.find(marker="filter-text").type("ROUTER")
    await changes.until(lambda: shown(viewer) == ["from the router"])
    row = viewer.find(marker="log-tail").elements.pop().rows[0]
    assert (row["pre"], row["hit"], row["post"]) == ("from the ", "router", "")
    viewer.find(marker="filter-text").clear()
    class_filter = viewer.find(marker="filter-class").elements.pop()
    class_filter.set_value("auth")
    await changes.until(lambda: shown(viewer) == ["from the ap: login failed"])
    # New lines are filtered the same way.
    ingest(core, ["another router line"], host="gw-router", log_class="wifi")
    ingest(core, ["second auth line"], host="ap-2", log_class="auth")
    await changes.until(lambda: shown(viewer)[0] == "second auth line")
    assert "another router line" not in shown(viewer)


async def test_new_lines_appear_live(console, core, viewer, changes):
    ingest(core, ["old line"])
    await viewer.open("/logs")
    await changes.until(lambda: shown(viewer) == ["old line"])
    ingest(core, [f"new line {i}" for i in range(3)])
    await changes.until(lambda: len(shown(viewer)) == 4)
    assert shown(viewer) == ["new line 2", "new line 1", "new line 0", "old line"]


async def test_the_buffer_is_capped(console, core, viewer, changes):
    ingest(core, [f"line {i}" for i in range(BUFFER + 20)])
    await viewer.open("/logs")
    await changes.until(lambda: len(shown(viewer)) == BUFFER)
    assert shown(viewer)[0] == f"line {BUFFER + 19}"
    ingest(core, [f"more {i}" for i in range(BUFFER + 50)])
    await changes.until(lambda: shown(viewer)[0] == f"more {BUFFER + 49}")
    assert len(shown(viewer)) == BUFFER
    assert shown(viewer)[-1] == "more 50"


async def test_pause_holds_the_view_and_resume_catches_up(console, core, viewer, changes):
    ingest(core, ["before"])
    await viewer.open("/logs")
    await changes.until(lambda: shown(viewer) == ["before"])
    viewer.find(marker="pause").click()
    await viewer.should_see("paused")
    ingest(core, ["during"])
    await viewer.should_see("1 new while paused", retries=30)
    assert shown(viewer) == ["before"]
    viewer.find(marker="pause").click()
    await changes.until(lambda: shown(viewer) == ["during", "before"])
    await viewer.should_see("live · 2 lines")


async def test_a_script_in_a_line_is_literal_text(console, core, viewer, changes):
    ingest(core, ["<script>alert(1)</script>"])
    await viewer.open("/logs")
    await changes.until(lambda: shown(viewer) == ["<script>alert(1)</script>"])
    await viewer.should_not_see(kind=ui.html)
    await viewer.should_not_see(kind=ui.markdown)
    table = viewer.find(marker="log-tail").elements.pop()
    assert all("v-html" not in slot.template for slot in table.slots.values() if slot.template)


async def test_a_backlog_larger_than_a_read_is_skipped_and_said(
    console, core, viewer, changes, monkeypatch
):
    monkeypatch.setattr(logs_page, "BATCH", 10)
    ingest(core, ["first"])
    await viewer.open("/logs")
    await changes.until(lambda: shown(viewer) == ["first"])
    ingest(core, [f"burst {i}" for i in range(30)])
    await changes.until(lambda: shown(viewer)[0] == "burst 29")
    assert shown(viewer) == [f"burst {i}" for i in reversed(range(20, 30))] + ["first"]
    await viewer.should_see("20 skipped to keep up")
