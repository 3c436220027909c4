"""The findings page in simulated browsers: acknowledging, resolving and noting through the
page, the same finding seen live in a second browser and raised live by another writer,
role-limited buttons whose forced clicks are refused and audited, filters in the query
string, evidence shown as plain text, and maintenance windows."""

from __future__ import annotations

import asyncio

from nicegui import ui

from core.models import Actor, FindingStatus, Outcome, Role
from core.services import audit, findings, logs, maintenance
from core.services.logs import LogLine
from tests.factories import make_device
from web.ui.pages.finding_detail import serial
from web.ui.pages.findings import page_url

LIVE_RETRIES = 20
"""A change by another writer must show within two seconds (the hub polls every 0.25 s)."""


def fire(
    core,
    *,
    rule: str = "wifi.auth-failures",
    key: str = "aa:bb:cc:00:00:01",
    severity: str = "high",
    device: str | None = None,
    summary: str = "12 failed logins from aa:bb:cc:00:00:01",
    evidence: list[int] | None = None,
    details: dict | None = None,
):
    with core.db.writer() as session:
        return findings.raise_finding(
            session=session,
            now=core.clock.now(),
            firing=findings.FindingIn(
                rule_id=rule,
                severity=severity,
                key=key,
                device_id=device,
                ts_ms=int(core.clock.now().timestamp() * 1000),
                summary=summary,
                evidence=evidence or [],
                details=details or {},
            ),
        )


def stored(core, finding_id: int):
    with core.db.reader() as session:
        return findings.get_finding(session=session, finding_id=finding_id)


def denied(core, name: str):
    with core.db.reader() as session:
        return audit.list_audit(
            session=session, actor=Actor.system(), actor_name=name, outcome=Outcome.DENIED
        ).items


def page_elements(user):
    with user:
        return list(user.current_layout.descendants())


async def test_an_operator_acknowledges_a_finding(console, core, changes):
    finding = fire(core)
    user = await console.signed_in(Role.OPERATOR)
    await user.open(f"/findings?open={finding.id}")
    await changes.shows(user, "finding-detail", finding.summary)
    await user.should_see(marker=f"status-{finding.id}", content="open")
    user.find(marker="finding-ack").click()
    await user.should_see(f"Finding {finding.id} acknowledged.", retries=30)
    await user.should_see(marker=f"status-{finding.id}", content="acknowledged", retries=30)
    await changes.shows(user, "finding-detail", "otto,")
    after = stored(core, finding.id)
    assert (after.status, after.acked_by) == (FindingStatus.ACKNOWLEDGED, "otto")
    (ack,) = (b for b in user.find(marker="finding-ack").elements)
    assert not ack.enabled  # it is not open any more


async def test_an_ack_in_one_browser_shows_in_the_other_within_a_second(console, core):
    finding = fire(core)
    first = await console.signed_in(Role.OPERATOR)
    # NiceGUI's simulated browsers share globals: ui.navigate follows the last one a page
    # ran JavaScript on (so each leaves the overview before the other signs in), and a
    # simulated click runs with the request of the browser that opened a page last (so the
    # first opens its page again before it clicks).
    await first.open("/findings")
    second = await console.signed_in(Role.VIEWER)
    await second.open("/findings")
    await second.should_see(marker=f"status-{finding.id}", content="open")
    await first.open(f"/findings?open={finding.id}")
    await first.should_see(marker="finding-ack", retries=30)  # the detail loads after the list
    first.find(marker="finding-ack").click()
    await second.should_see(
        marker=f"status-{finding.id}", content="acknowledged", retries=LIVE_RETRIES
    )
    assert stored(core, finding.id).status == FindingStatus.ACKNOWLEDGED


async def test_a_finding_raised_elsewhere_appears_without_a_reload(console, core):
    user = await console.signed_in(Role.VIEWER)
    await user.open("/findings")
    await user.should_see(marker="no-findings")
    raised = fire(core, summary="router-1 reboot loop", rule="router.reboots", key="router-1")
    await user.should_see("router-1 reboot loop", retries=LIVE_RETRIES)
    await user.should_see(marker=f"finding-{raised.id}")
    await user.should_not_see(marker="no-findings")
    for n in range(3):  # changes close together redraw the list once each, never twice over
        fire(core, summary=f"burst {n}", rule="router.reboots", key=f"router-{n + 2}")
    await user.should_see("burst 2", retries=LIVE_RETRIES)
    assert len(user.find(marker=f"finding-{raised.id}").elements) == 1


async def test_the_open_finding_follows_changes_made_elsewhere(console, core, changes):
    finding = fire(core)
    user = await console.signed_in(Role.VIEWER)
    await user.open(f"/findings?open={finding.id}")
    with core.db.writer() as session:
        findings.add_note(
            session=session,
            finding_id=finding.id,
            actor=Actor.system("cli"),
            text="replaced the access point",
            now=core.clock.now(),
        )
    await changes.shows(user, "notes", "replaced the access point")


async def test_a_viewer_cannot_acknowledge_and_a_forced_click_is_refused_and_audited(console, core):
    finding = fire(core)
    user = await console.signed_in(Role.VIEWER)
    await user.open(f"/findings?open={finding.id}")
    await user.should_see(marker="finding-note", retries=30)  # the detail loads after the list
    for marker in ("finding-ack", "finding-resolve", "finding-note"):
        (button,) = user.find(marker=marker).elements
        assert not button.enabled
        assert "refused" in button._markers
    user.find(marker="finding-ack").click()  # a disabled button ignores a click
    user.find(marker="finding-ack").trigger("click")  # a forged event reaches the handler
    await user.should_see("vera (viewer) may not findings.write", retries=30)
    assert stored(core, finding.id).status == FindingStatus.OPEN
    (refusal,) = denied(core, "vera")
    assert refusal.kind == "denied.findings.write"
    assert refusal.outcome == Outcome.DENIED


async def test_resolve_and_add_a_note(console, core, changes):
    finding = fire(core)
    user = await console.signed_in(Role.OPERATOR)
    await user.open(f"/findings?open={finding.id}")
    await user.should_see(marker="finding-note", retries=30)  # the detail loads after the list
    user.find(marker="finding-note").click()
    await user.should_see("Write the note first.", retries=30)
    assert stored(core, finding.id).notes == []

    user.find(marker="note-text").type("rebooted the AP, watching it")
    user.find(marker="finding-note").click()
    await changes.shows(user, "notes", "rebooted the AP, watching it")
    (note,) = stored(core, finding.id).notes
    assert (note.author, note.text) == ("otto", "rebooted the AP, watching it")
    (note_input,) = user.find(marker="note-text").elements
    assert note_input.value == ""

    user.find(marker="finding-resolve").click()
    await user.should_see(marker=f"status-{finding.id}", content="resolved", retries=30)
    after = stored(core, finding.id)
    assert (after.status, after.resolved_by) == (FindingStatus.RESOLVED, "otto")

    def resolve_disabled() -> bool:  # the detail is redrawn after the list
        try:
            (resolve,) = user.find(marker="finding-resolve").elements
        except (AssertionError, ValueError):  # between the redraw's clearing and its rebuild
            return False
        return not resolve.enabled

    await changes.until(resolve_disabled, "Resolve disabled once resolved")


async def test_filters_narrow_the_list_and_live_in_the_query_string(console, core):
    with core.db.writer() as session:
        make_device(session, id="cam-1", type="camera")
    wifi = fire(core, summary="wifi trouble", severity="medium")
    camera = fire(
        core,
        rule="iot.device-offline",
        key="cam-1",
        device="cam-1",
        severity="critical",
        summary="cam-1 offline",
    )
    user = await console.signed_in(Role.VIEWER)

    await user.open("/findings?rule=iot.device-offline")
    await user.should_see(marker=f"finding-{camera.id}")
    await user.should_not_see(marker=f"finding-{wifi.id}")

    await user.open("/findings?device=cam-1")
    await user.should_see("cam-1 offline")
    await user.should_not_see("wifi trouble")

    await user.open("/findings?severity=not-a-severity")  # an old bookmark still opens
    await user.should_see("wifi trouble")
    (severity,) = user.find(marker="filter-severity").elements
    with user:
        severity.value = "medium"
    await user.should_see("wifi trouble")
    await user.should_not_see("cam-1 offline")
    with user:
        severity.value = ""
    (status,) = user.find(marker="filter-status").elements
    with user:
        status.value = "resolved"
    await user.should_see(marker="no-findings")

    await user.open(f"/findings?status=open&open={camera.id}")
    with user.scope(marker="finding-detail"):
        await user.should_see("cam-1 offline")
        (rule_link,) = user.find(kind=ui.link, content="iot.device-offline").elements
        assert rule_link.props["href"] == "/rules?rule=iot.device-offline"
        (device_link,) = user.find(kind=ui.link, content="cam-1").elements
        assert device_link.props["href"] == "/devices/cam-1"


async def test_evidence_lines_and_details_are_shown(console, core, changes):
    now_ms = int(core.clock.now().timestamp() * 1000)
    with core.db.writer() as session:
        logs.ingest_batch(
            session=session,
            lines=[
                LogLine(
                    ts_ms=now_ms - 1000 * i,
                    received_ms=now_ms,
                    source="udp",
                    source_ip="192.168.1.1",
                    host="ap-1",
                    app="hostapd",
                    pid=None,
                    facility=3,
                    severity=4,
                    log_class="wifi",
                    message=f"wlan0: STA aa:bb:cc:00:00:01 auth failure #{i}",
                )
                for i in range(3)
            ],
        )
        evidence = [line.id for line in logs.logs_after(session=session, after_id=0)]
    finding = fire(core, evidence=evidence, details={"captures": {"mac": "aa:bb:cc:00:00:01"}})
    user = await console.signed_in(Role.VIEWER)
    await user.open(f"/findings?open={finding.id}")
    await changes.shows(user, "evidence", *(f"auth failure #{i}" for i in range(3)), "ap-1 hostapd")
    await changes.shows(user, "details", "captures", "mac: aa:bb:cc:00:00:01")


async def test_a_hostile_summary_is_shown_as_literal_text(console, core):
    hostile = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    finding = fire(core, summary=hostile, key="<b>key</b>")
    user = await console.signed_in(Role.VIEWER)
    await user.open(f"/findings?open={finding.id}")
    await user.should_see(hostile)
    shown = [e for e in page_elements(user) if hostile in str(getattr(e, "text", ""))]
    assert shown and all(type(e) is ui.label for e in shown)
    assert not [e for e in page_elements(user) if isinstance(e, (ui.html, ui.markdown))]


async def test_an_admin_adds_a_maintenance_window_and_ends_it(console, core, changes):
    user = await console.signed_in(Role.ADMIN)
    await user.open("/findings")
    await user.should_see("No maintenance windows now or to come.")
    user.find(marker="window-value").type("cam-1")
    user.find(marker="window-reason").type("firmware upgrade")
    user.find(marker="window-start").clear()
    user.find(marker="window-start").type("tomorrow-ish")
    user.find(marker="window-add").click()
    await user.should_see(marker="window-error", content="Start: write it as YYYY-MM-DD HH:MM")
    with core.db.reader() as session:
        assert maintenance.list_windows(session=session, now=core.clock.now()).items == []

    start = core.clock.now().astimezone().strftime("%Y-%m-%d %H:%M")
    user.find(marker="window-start").clear()
    user.find(marker="window-start").type(start)
    user.find(marker="window-add").click()
    await changes.shows(user, "window-list", "firmware upgrade", "active now")
    with core.db.reader() as session:
        (window,) = maintenance.list_windows(session=session, now=core.clock.now()).items
    assert window.selector == {"device": "cam-1"}
    assert window.created_by == "ada"
    assert (window.ends_at - window.starts_at).total_seconds() == 3600

    user.find(marker=f"end-window-{window.id}").click()
    await user.should_see(f"Maintenance window {window.id} ended.", retries=30)
    with core.db.reader() as session:
        assert maintenance.list_windows(session=session, now=core.clock.now()).items == []


async def test_an_operator_may_not_add_a_maintenance_window(console, core):
    user = await console.signed_in(Role.OPERATOR)
    await user.open("/findings")
    (add,) = user.find(marker="window-add").elements
    assert not add.enabled and "refused" in add._markers
    user.find(marker="window-value").type("cam-1")
    user.find(marker="window-add").trigger("click")
    await user.should_see("otto (operator) may not maintenance.write", retries=30)
    with core.db.reader() as session:
        assert maintenance.list_windows(session=session, now=core.clock.now()).items == []
    (refusal,) = denied(core, "otto")
    assert refusal.kind == "denied.maintenance.write"


async def test_a_window_added_elsewhere_appears_live(console, core, changes):
    user = await console.signed_in(Role.VIEWER)
    await user.open("/findings")
    with core.db.writer() as session:
        maintenance.add_window(
            session=session,
            reason="rewiring the garage",
            selector={"location": "garage"},
            starts_at=core.clock.now(),
            ends_at=core.clock.now().replace(hour=23),
            every="day",
            actor=Actor.system("cli"),
        )
    await changes.shows(user, "window-list", "rewiring the garage", "every day")
    (end,) = user.find(marker="refused").elements & set(
        user.find(kind=ui.button, content="End now").elements
    )
    assert not end.enabled


def test_the_page_address_carries_the_filters_and_the_open_finding():
    chosen = {"severity": "high", "status": "", "rule": "wifi.auth failures", "device": ""}
    assert page_url(chosen, 7) == "/findings?severity=high&rule=wifi.auth+failures&open=7"
    assert page_url(dict.fromkeys(chosen, ""), None) == "/findings"


async def test_redraws_of_one_section_never_overlap():
    """Two live changes close together must not draw one list twice into its container."""
    running, seen = 0, []

    class Section:
        async def draw(self) -> None:
            nonlocal running
            running += 1
            seen.append(running)
            for _ in range(3):  # the read on a worker thread: other tasks run meanwhile
                await asyncio.sleep(0)
            running -= 1

        def refresh(self):
            return self.draw()

    redraw = serial(Section())
    await asyncio.gather(redraw(), redraw(), redraw())
    assert seen == [1, 1, 1]
