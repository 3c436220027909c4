"""The findings lifecycle: open, count, acknowledge, resolve, reopen, notes; both backends."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput, NotFound
from core.models import FindingStatus
from core.services import findings, logs
from core.services.logs import LogLine
from tests.factories import FakeClock, actor

T0 = 1_770_890_400_000


def firing(count=1, evidence=(1,), ts_ms=T0, key="192.168.1.50", severity="high"):
    return findings.FindingIn(
        rule_id="security.ssh_bruteforce",
        severity=severity,
        key=key,
        ts_ms=ts_ms,
        count=count,
        evidence=list(evidence),
        summary=f"{count} failed logins from {key}",
    )


def test_a_rule_key_is_one_finding_that_counts_and_reopens(any_core):
    clock = FakeClock()
    with any_core.db.writer() as session:
        opened = findings.raise_finding(
            session=session, firing=firing(5, [1, 2, 3, 4, 5]), now=clock.now()
        )
        assert (opened.status, opened.count, opened.evidence) == (
            FindingStatus.OPEN,
            5,
            [1, 2, 3, 4, 5],
        )
        again = findings.raise_finding(
            session=session, firing=firing(2, [6, 7], T0 + 60_000), now=clock.now()
        )
        assert again.id == opened.id
        assert (again.count, again.evidence[-2:]) == (7, [6, 7])
        other = findings.raise_finding(
            session=session, firing=firing(key="10.0.0.9"), now=clock.now()
        )
        assert other.id != opened.id  # another key, another finding

        acked = findings.acknowledge(
            session=session, finding_id=opened.id, actor=actor(), now=clock.now()
        )
        assert (acked.status, acked.acked_by) == (FindingStatus.ACKNOWLEDGED, "tester")
        resolved = findings.resolve(
            session=session, finding_id=opened.id, actor=actor(), now=clock.now()
        )
        assert resolved.status == FindingStatus.RESOLVED
        reopened = findings.raise_finding(
            session=session, firing=firing(ts_ms=T0 + 3_600_000), now=clock.now()
        )
        assert (reopened.id, reopened.status, reopened.times_opened) == (
            opened.id,
            FindingStatus.OPEN,
            2,
        )
        assert reopened.acked_by is None


def test_a_cleared_condition_resolves_its_finding(any_core):
    with any_core.db.writer() as session:
        opened = findings.raise_finding(session=session, firing=firing(), now=FakeClock().now())
        cleared = findings.resolve_cleared(
            session=session, rule_id=opened.rule_id, key=opened.key, now=FakeClock().now()
        )
        assert cleared.status == FindingStatus.RESOLVED
        assert cleared.resolved_by == "rules"
        assert (
            findings.resolve_cleared(
                session=session, rule_id=opened.rule_id, key=opened.key, now=FakeClock().now()
            )
            is None
        )


def test_notes_filters_and_refusals(any_core):
    now = FakeClock().now()
    with any_core.db.writer() as session:
        high = findings.raise_finding(session=session, firing=firing(), now=now)
        findings.raise_finding(session=session, firing=firing(key="x", severity="low"), now=now)
        noted = findings.add_note(
            session=session, finding_id=high.id, actor=actor(), text="blocked at the edge", now=now
        )
        assert [n.text for n in noted.notes] == ["blocked at the edge"]
        assert [f.key for f in findings.list_findings(session=session, severity="low").items] == [
            "x"
        ]
        with pytest.raises(InvalidInput):
            findings.add_note(
                session=session, finding_id=high.id, actor=actor(), text="  ", now=now
            )
        with pytest.raises(InvalidInput, match="severity"):
            findings.raise_finding(session=session, firing=firing(severity="bad"), now=now)
        with pytest.raises(NotFound):
            findings.acknowledge(session=session, finding_id=999, actor=actor(), now=now)


def test_the_evidence_is_the_stored_lines_a_finding_cites(core):
    clock = FakeClock()
    with core.db.writer() as session:
        stored = logs.ingest_batch(
            session=session,
            lines=[
                LogLine(
                    ts_ms=T0 + i,
                    received_ms=T0,
                    source="udp",
                    source_ip="10.0.0.1",
                    host="ap-1",
                    app="sshd",
                    pid=None,
                    facility=4,
                    severity=5,
                    log_class="auth",
                    message=f"failed password #{i}",
                )
                for i in range(3)
            ],
        )
        assert stored.stored == 3
        ids = [line.id for line in logs.query_logs(session=session).items]
        finding = findings.raise_finding(
            session=session, firing=firing(2, sorted(ids)[1:]), now=clock.now()
        )
        lines = findings.evidence_lines(session=session, finding_id=finding.id)
        assert [line.message for line in lines] == ["failed password #1", "failed password #2"]
        with pytest.raises(NotFound):
            findings.evidence_lines(session=session, finding_id=finding.id + 1)
