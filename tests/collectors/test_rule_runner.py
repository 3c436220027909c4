"""The absence rules through the runner, on a fake clock: a silent device opens a finding
once, and coming back resolves it."""

from __future__ import annotations

from collectors.rule_runner import RuleRunner
from core.models import FindingStatus
from core.rules import AbsenceRule, Severity
from core.services import devices, findings
from tests.factories import FakeClock, actor

RULE = AbsenceRule(
    id="iot.device-offline",
    name="Device offline",
    pack="iot",
    kind="absence",
    severity=Severity.MEDIUM,
    grace_s=300,
)


def test_offline_past_the_grace_opens_once_and_return_resolves(core):
    clock = FakeClock()
    with core.db.writer() as session:
        devices.record_seen(session=session, device_id="meter-1", seen_at=clock.now())
        devices.mark_offline(
            session=session, device_id="meter-1", reason="last will", actor=actor()
        )
    runner = RuleRunner(core.db, [RULE], clock)
    clock.advance(299)
    assert runner.run() == 0
    clock.advance(2)
    assert runner.run() == 1
    assert runner.run() == 0  # still offline: the open finding already says so
    with core.db.reader() as session:
        (finding,) = findings.list_findings(session=session).items
    assert (finding.key, finding.status, finding.count) == ("meter-1", FindingStatus.OPEN, 1)

    with core.db.writer() as session:
        devices.record_seen(session=session, device_id="meter-1", seen_at=clock.now())
    runner.run()
    with core.db.reader() as session:
        assert findings.get_finding(session=session, finding_id=finding.id).status == (
            FindingStatus.RESOLVED
        )


def test_a_threshold_held_long_enough_opens_and_clears_when_it_stops(core):
    from core.models import ReadingIn
    from core.rules import ThresholdRule
    from core.services import telemetry

    rule = ThresholdRule(
        id="iot.temperature-high",
        name="Hot",
        pack="iot",
        kind="threshold",
        severity=Severity.HIGH,
        metric="temperature",
        op=">",
        value=60,
        for_s=300,
    )
    clock = FakeClock()
    start = int(clock.now().timestamp() * 1000)
    with core.db.writer() as session:
        devices.record_seen(session=session, device_id="temp-1", seen_at=clock.now())
        telemetry.append_readings(
            session=session,
            device_id="temp-1",
            actor=actor(),
            readings=[
                ReadingIn(metric="temperature", ts=start + i * 60_000, value=65.0) for i in range(6)
            ],
        )
    runner = RuleRunner(core.db, [rule], clock)
    clock.advance(4 * 60)  # hot for 4 minutes: not yet
    assert runner.run_telemetry() == 0
    clock.advance(90)  # 5.5 minutes
    assert runner.run_telemetry() == 1
    assert runner.run_telemetry() == 0  # still hot: one open finding, not a second
    with core.db.writer() as session:
        telemetry.append_readings(
            session=session,
            device_id="temp-1",
            actor=actor(),
            readings=[ReadingIn(metric="temperature", ts=start + 6 * 60_000, value=40.0)],
        )
    clock.advance(60)
    runner.run_telemetry()
    with core.db.reader() as session:
        (finding,) = findings.list_findings(session=session).items
    assert (finding.rule_id, finding.key, finding.status) == (
        "iot.temperature-high",
        "temp-1",
        FindingStatus.RESOLVED,
    )


def test_a_maintenance_window_suppresses_what_it_covers(core):
    from datetime import timedelta

    from core.services import maintenance

    clock = FakeClock()
    with core.db.writer() as session:
        for device_id in ("meter-1", "meter-2"):
            devices.record_seen(session=session, device_id=device_id, seen_at=clock.now())
            devices.mark_offline(session=session, device_id=device_id, reason="test", actor=actor())
        window = maintenance.add_window(
            session=session,
            reason="firmware rollout",
            selector={"device": "meter-1"},
            starts_at=clock.now(),
            ends_at=clock.now() + timedelta(hours=1),
            actor=actor(),
        )
    clock.advance(301)
    assert RuleRunner(core.db, [RULE], clock).run() == 2
    with core.db.reader() as session:
        by_key = {f.key: f for f in findings.list_findings(session=session).items}
    assert by_key["meter-1"].suppressed is True
    assert by_key["meter-2"].suppressed is False
    with core.db.writer() as session:
        maintenance.end_window(session=session, window_id=window.id, actor=actor(), now=clock.now())
        assert maintenance.active_windows(session=session, now=clock.now()) == []
