"""An opened finding reads as an explanation (issue 15 item 6): the rule's name, what it
means and what to do; evidence lines whole and wrapped; captured times as local dates with
their age, not epoch milliseconds; "opened once" rather than "opened 1 times"."""

from __future__ import annotations

from datetime import UTC, datetime

from core.models import Role
from core.services import logs
from core.services.logs import LogLine
from tests.webui.test_findings import fire
from web.ui.widgets import when

LONG = "dropbear[812]: Bad password attempt for 'root' from 203.0.113.77:51234 " + "x" * 180


async def test_the_detail_explains_the_rule_and_shows_evidence_and_times_whole(
    console, core, changes
):
    now_ms = int(core.clock.now().timestamp() * 1000)
    with core.db.writer() as session:
        logs.ingest_batch(
            session=session,
            lines=[
                LogLine(
                    ts_ms=now_ms,
                    received_ms=now_ms,
                    source="udp",
                    source_ip="192.168.1.1",
                    host="router-1",
                    app="dropbear",
                    pid=812,
                    facility=4,
                    severity=4,
                    log_class="auth",
                    message=LONG,
                )
            ],
        )
        evidence = [line.id for line in logs.logs_after(session=session, after_id=0)]
    since_ms = now_ms - 90_000
    finding = fire(
        core,
        rule="enforcement.drift",
        key="tc",
        summary="tc classes changed outside Warden",
        evidence=evidence,
        details={"since_ms": since_ms, "classes": ["1:10", "1:20"]},
    )
    user = await console.signed_in(Role.VIEWER)
    await user.open(f"/findings?open={finding.id}")
    await changes.shows(
        user, "rule-explained", "Enforcement drift", "Something outside Warden changed"
    )
    await changes.shows(user, "remediation", "What to do: Find what changed it")
    await changes.shows(user, "evidence", LONG)
    (evidence_column,) = user.find(marker="evidence").elements
    (line,) = [e for e in evidence_column.descendants() if LONG in getattr(e, "text", "")]
    assert "whitespace-pre-wrap" in line.classes and "whitespace-pre" not in line.classes
    since = when(datetime.fromtimestamp(since_ms / 1000, tz=UTC))
    await changes.shows(user, "details", "since", since, "(1 min ago)", "1:10; 1:20")
    await user.should_not_see(str(since_ms))
    await changes.shows(user, "finding-detail", "1 firing, opened once")
