"""The runner's slower checks on a fake clock: sequence gaps over the pipeline's missing
counters, Warden's own health (queue backlog, dead-letter rate, disk), and the stored rules
being picked up again when an operator disables or edits one."""

from __future__ import annotations

from datetime import timedelta

from collectors.rule_runner import RuleRunner
from core.models import DeadLetter, DeviceSeq, FindingStatus
from core.rules import PatternRule, SeqGapRule, Severity, SystemRule
from core.services import devices, findings, logs
from core.services.rules import RULES
from tests.factories import FakeClock, actor

PASS_S = 30
"""How often the agent runs the checks."""

GAP = SeqGapRule(
    id="iot.messages-lost",
    name="Messages lost",
    pack="iot",
    severity=Severity.LOW,
    min_missing=10,
    window_s=600,
)


def set_missing(core, device_id: str, missing: int) -> None:
    """What the pipeline does after a batch: store the device's running ``missing`` total."""
    with core.db.writer() as session:
        row = session.get(DeviceSeq, device_id) or DeviceSeq(device_id=device_id)
        row.missing = missing
        session.add(row)


def all_findings(core, rule_id: str | None = None):
    with core.db.reader() as session:
        return findings.list_findings(session=session, rule_id=rule_id).items


def test_losses_within_the_window_open_a_finding_that_resolves_once_they_age_out(core):
    clock = FakeClock()
    with core.db.writer() as session:
        devices.record_seen(session=session, device_id="meter-1", seen_at=clock.now())
    set_missing(core, "meter-1", 50)  # lost before Warden started: not counted
    runner = RuleRunner(core.db, [GAP], clock)
    assert runner.run_checks() == 0
    assert all_findings(core) == []

    clock.advance(60)
    set_missing(core, "meter-1", 58)
    assert runner.run_checks() == 0  # 8 lost: below min_missing
    clock.advance(60)
    set_missing(core, "meter-1", 61)
    assert runner.run_checks() == 1  # 11 lost within 600 s
    (finding,) = all_findings(core)
    assert (finding.rule_id, finding.key, finding.device_id) == (
        "iot.messages-lost",
        "meter-1",
        "meter-1",
    )
    assert (finding.status, finding.count) == (FindingStatus.OPEN, 11)
    assert finding.summary == "11 messages from meter-1 missing within 600 s"

    # No more losses: the finding stays open (one finding, not one per pass) until the
    # last loss is a whole window old.
    fired_at = 120
    elapsed = fired_at
    while elapsed < fired_at + GAP.window_s:
        clock.advance(PASS_S)
        elapsed += PASS_S
        assert runner.run_checks() == 0
        (finding,) = all_findings(core)
        expected = FindingStatus.RESOLVED if elapsed >= fired_at + 600 else FindingStatus.OPEN
        assert (elapsed, finding.status) == (elapsed, expected)
    assert finding.count == 11


def test_as_many_losses_spread_over_more_than_the_window_never_fire(core):
    clock = FakeClock()
    with core.db.writer() as session:
        devices.record_seen(session=session, device_id="meter-2", seen_at=clock.now())
    set_missing(core, "meter-2", 0)
    runner = RuleRunner(core.db, [GAP], clock)
    for elapsed in range(0, 1200, PASS_S):  # one message lost every 75 s: 10 by 750 s
        set_missing(core, "meter-2", min(elapsed // 75, 12))
        assert runner.run_seq_gaps() == 0, f"fired at {elapsed} s"
        clock.advance(PASS_S)
    assert all_findings(core) == []


def test_gaps_are_counted_per_device(core):
    clock = FakeClock()
    with core.db.writer() as session:
        for device_id in ("meter-1", "meter-2"):
            devices.record_seen(session=session, device_id=device_id, seen_at=clock.now())
            set_missing(core, device_id, 0)
    runner = RuleRunner(core.db, [GAP], clock)
    runner.run_seq_gaps()
    clock.advance(PASS_S)
    set_missing(core, "meter-1", 6)
    set_missing(core, "meter-2", 12)
    assert runner.run_seq_gaps() == 1
    (finding,) = all_findings(core)
    assert (finding.key, finding.count) == ("meter-2", 12)


BACKLOG = SystemRule(
    id="warden.queue-backlog",
    name="Queue backlog",
    pack="warden",
    severity=Severity.HIGH,
    check="queue_backlog",
    op=">",
    value=100,
)


def test_a_system_measure_out_of_bounds_opens_once_and_resolves_when_back(core):
    clock = FakeClock()
    measures = {"queue_backlog": 500.0}
    runner = RuleRunner(core.db, [BACKLOG], clock, measures=lambda: dict(measures))
    assert runner.run_checks() == 1
    clock.advance(PASS_S)
    assert runner.run_system() == 0  # still backed up: the open finding says so
    (finding,) = all_findings(core)
    assert (finding.key, finding.device_id, finding.status) == (
        "queue_backlog",
        None,
        FindingStatus.OPEN,
    )
    assert finding.summary == "Warden queue_backlog is 500 (> 100)"

    measures["queue_backlog"] = 0.0
    clock.advance(PASS_S)
    assert runner.run_system() == 0
    (finding,) = all_findings(core)
    assert finding.status == FindingStatus.RESOLVED
    assert finding.count == 1


def test_a_measure_that_is_not_given_never_fires_nor_resolves(core):
    disk = SystemRule(
        id="warden.disk-low",
        name="Disk low",
        severity=Severity.CRITICAL,
        check="disk_free_pct",
        op="<",
        value=10,
    )
    clock = FakeClock()
    measures: dict[str, float] = {}
    runner = RuleRunner(core.db, [disk], clock, measures=lambda: dict(measures))
    assert runner.run_system() == 0
    assert all_findings(core) == []

    measures["disk_free_pct"] = 4.0
    assert runner.run_system() == 1
    del measures["disk_free_pct"]  # the measure went away: nothing is known to have cleared
    clock.advance(PASS_S)
    assert runner.run_system() == 0
    (finding,) = all_findings(core)
    assert finding.status == FindingStatus.OPEN

    measures["disk_free_pct"] = 50.0
    clock.advance(PASS_S)
    runner.run_system()
    (finding,) = all_findings(core)
    assert finding.status == FindingStatus.RESOLVED


DEAD_LETTERS = SystemRule(
    id="warden.dead-letters",
    name="Dead letters",
    pack="warden",
    severity=Severity.MEDIUM,
    check="dead_letter_rate",
    op=">",
    value=1,
)


def add_dead_letters(core, count: int, *, at) -> None:
    with core.db.writer() as session:
        for _ in range(count):
            session.add(
                DeadLetter(
                    received_at=at,
                    source="mqtt",
                    topic="warden/v1/meter-1/telemetry",
                    reason="bad_json",
                    size=3,
                    head=b"{{{",
                )
            )


def test_dead_letter_rate_counts_the_last_five_minutes(any_core):
    core = any_core
    clock = FakeClock()
    runner = RuleRunner(core.db, [DEAD_LETTERS], clock)
    add_dead_letters(core, 30, at=clock.now() - timedelta(seconds=301))  # too old
    add_dead_letters(core, 5, at=clock.now() - timedelta(seconds=200))
    assert runner.run_checks() == 0  # 5 in 5 minutes: 1 a minute, not above 1
    assert all_findings(core) == []

    add_dead_letters(core, 5, at=clock.now() - timedelta(seconds=10))
    assert runner.run_checks() == 1  # 10 in 5 minutes: 2 a minute
    (finding,) = all_findings(core)
    assert (finding.key, finding.details["value"]) == ("dead_letter_rate", 2.0)
    assert finding.summary == "Warden dead_letter_rate is 2 (> 1)"

    clock.advance(PASS_S)
    assert runner.run_checks() == 0  # still 2 a minute: the open finding says so
    assert all_findings(core)[0].status == FindingStatus.OPEN
    clock.advance(80)  # the 200 s old ones leave the span (now 310 s); the others stay
    assert runner.run_checks() == 0
    assert all_findings(core)[0].status == FindingStatus.RESOLVED  # 1 a minute: in bounds


# --- stored rules ---------------------------------------------------------------------

LOGIN_FAILED = PatternRule(
    id="net.login-failed",
    name="Failed logins",
    pack="net",
    severity=Severity.MEDIUM,
    regex=r"login failed for (?P<user>\w+)",
    key="{host}",
    window_s=60,
    threshold=3,
)


def store_lines(core, clock: FakeClock, count: int, message: str = "login failed for admin"):
    ts = int(clock.now().timestamp() * 1000)
    lines = [
        logs.LogLine(
            ts_ms=ts + i,
            received_ms=ts + i,
            source="udp",
            source_ip="192.0.2.1",
            host="gw-1",
            app="sshd",
            pid=None,
            facility=4,
            severity=4,
            log_class="auth",
            message=message,
        )
        for i in range(count)
    ]
    with core.db.writer() as session:
        logs.ingest_batch(session=session, lines=lines)


def test_stored_rules_are_reloaded_when_disabled_edited_or_enabled(core):
    clock = FakeClock()
    with core.db.writer() as session:
        RULES.sync(session=session, shipped=[LOGIN_FAILED], now=clock.now())
    runner = RuleRunner(core.db, None, clock)
    store_lines(core, clock, 2, message="login accepted for admin")  # not a match
    store_lines(core, clock, 3)
    assert runner.run() == 1
    (finding,) = all_findings(core, LOGIN_FAILED.id)
    assert (finding.key, finding.count) == ("gw-1", 3)

    clock.advance(10)
    with core.db.writer() as session:
        RULES.set_enabled(
            session=session,
            entry_id=LOGIN_FAILED.id,
            enabled=False,
            actor=actor(),
            now=clock.now(),
        )
    store_lines(core, clock, 5)
    assert runner.run() == 0
    assert [r.enabled for r in runner.rules] == [False]
    assert all_findings(core, LOGIN_FAILED.id)[0].count == 3

    clock.advance(10)
    with core.db.writer() as session:
        RULES.update(
            session=session,
            entry_id=LOGIN_FAILED.id,
            changes={"threshold": 1},
            actor=actor(),
            now=clock.now(),
        )
        RULES.set_enabled(
            session=session,
            entry_id=LOGIN_FAILED.id,
            enabled=True,
            actor=actor(),
            now=clock.now(),
        )
    clock.advance(120)  # out of the window and the cooldown of the earlier lines
    store_lines(core, clock, 1)
    assert runner.run() == 1  # one line is enough now; the lines seen while off are not
    (finding,) = all_findings(core, LOGIN_FAILED.id)
    assert finding.count == 4
    assert (runner.rules[0].threshold, runner.rules[0].enabled) == (1, True)


def test_a_runner_started_before_the_packs_were_synced_picks_them_up(core):
    from warden.catalog import sync_catalog

    runner = RuleRunner(core.db, None, FakeClock())
    assert runner.rules == []
    sync_catalog(core)
    runner.run()
    with core.db.reader() as session:
        stored = RULES.loaded(session=session)
    assert stored
    assert runner.rules == stored


def test_a_change_in_the_same_instant_as_the_load_is_still_picked_up(core):
    """Versions are revision counters, not timestamps: two writes in one instant, or from
    a front end whose clock is behind, must still reach the runner."""
    from warden.catalog import sync_catalog

    clock = FakeClock()
    sync_catalog(core)
    runner = RuleRunner(core.db, None, clock)
    with core.db.writer() as session:
        RULES.set_enabled(
            session=session,
            entry_id="iot.device-offline",
            enabled=False,
            actor=actor(),
            now=clock.now() - timedelta(hours=1),  # a clock an hour behind
        )
    runner.run()
    assert {r.id: r.enabled for r in runner.rules}["iot.device-offline"] is False


BROKER_DROPPING = SystemRule(
    id="health.broker-dropping",
    name="Messages lost across the fleet",
    pack="health",
    severity=Severity.HIGH,
    check="fleet_gap_pct",
    op=">=",
    value=50,
)


def report(core, clock, device_id: str, missing: int) -> None:
    """A batch from ``device_id`` committed now, with its running ``missing`` total."""
    with core.db.writer() as session:
        devices.record_seen(session=session, device_id=device_id, seen_at=clock.now())
    with core.db.writer() as session:
        row = session.get(DeviceSeq, device_id) or DeviceSeq(device_id=device_id)
        row.missing, row.updated_at = missing, clock.now()
        session.add(row)


def test_losses_across_most_of_the_fleet_at_once_point_at_the_broker(core):
    clock = FakeClock()
    fleet = [f"meter-{n}" for n in range(6)]
    for device_id in fleet:
        report(core, clock, device_id, 0)
    runner = RuleRunner(core.db, [GAP, BROKER_DROPPING], clock)
    assert runner.run_checks() == 0

    clock.advance(PASS_S)  # one device with a bad link: not the broker
    for device_id in fleet:
        report(core, clock, device_id, 3 if device_id == "meter-0" else 0)
    runner.run_checks()
    assert all_findings(core, "health.broker-dropping") == []

    clock.advance(PASS_S)  # four of six lose messages in the same minutes: the broker
    for number, device_id in enumerate(fleet):
        report(core, clock, device_id, 3 + (5 if number in (1, 2, 3, 4) else 0))
    runner.run_checks()
    (finding,) = all_findings(core, "health.broker-dropping")
    assert finding.status == FindingStatus.OPEN
    assert "fleet_gap_pct" in finding.summary

    clock.advance(200)  # the losses age out of the window: resolved
    for device_id in fleet:
        report(core, clock, device_id, 8)
    runner.run_checks()
    assert all_findings(core, "health.broker-dropping")[0].status == FindingStatus.RESOLVED


def test_too_few_devices_never_look_like_a_broker_dropping(core):
    clock = FakeClock()
    for device_id in ("meter-1", "meter-2"):
        report(core, clock, device_id, 0)
    runner = RuleRunner(core.db, [BROKER_DROPPING], clock)
    runner.run_checks()
    clock.advance(PASS_S)
    for device_id in ("meter-1", "meter-2"):
        report(core, clock, device_id, 5)
    runner.run_checks()
    assert runner.fleet_gap_pct == 0.0
    assert all_findings(core, "health.broker-dropping") == []
