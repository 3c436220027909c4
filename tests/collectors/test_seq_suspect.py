"""One forged message must not silence a device (issue 15, item 12): through a real
mosquitto, the real collector, writer and rule runner. A telemetry message whose seq jumps
2**31 - 1 ahead is held as suspect (a dead letter that says why, nothing stored, no
missing counted), the device's genuine messages go on being stored and counted, and a
finding says a device's sequence jumped too far to be trusted."""

from __future__ import annotations

import contextlib

from sqlmodel import select

from collectors.rule_runner import RuleRunner
from core.errors import DeviceNotFound
from core.models import DeadLetter, DeviceSeq, FindingStatus
from core.protocol import SeqState
from core.rules import SeqSuspectRule, Severity
from core.services import devices, findings
from core.services import telemetry as telemetry_service
from core.timeparse import parse_time
from tests.collectors import both_databases
from tests.collectors.conftest import wait_until
from tests.factories import FakeClock

agent_core = both_databases.agent_core

DEVICE = "dc-meter-007"
TOPIC = f"iot/{DEVICE}/telemetry"


def telemetry(seq: int, n: int, value: float = 700.0) -> dict:
    """A v2 telemetry message; ``n`` makes its measurement's time unique."""
    return {
        "v": 2,
        "device_id": DEVICE,
        "ts": "2026-02-12T10:00:00Z",
        "seq": seq,
        "msg_type": "telemetry",
        "measurements": [
            {
                "ts": f"2026-02-12T1{n // 3600}:{n // 60 % 60:02d}:{n % 60:02d}Z",
                "type": "voltage_dc",
                "val": value + n,
                "unit": "V",
            }
        ],
    }


def stored_count(core) -> int:
    """How many of the device's voltage readings are stored (0 before it registered)."""
    now = core.clock.now()
    with core.db.reader() as session, contextlib.suppress(DeviceNotFound):
        return len(
            telemetry_service.raw_readings(
                session=session,
                device_id=DEVICE,
                metric="voltage_dc",
                since=parse_time("2026-02-12T00:00:00Z", now=now),
                until=parse_time("2026-02-13T00:00:00Z", now=now),
            )
        )
    return 0


def test_a_forged_jump_is_held_as_suspect_and_genuine_traffic_keeps_flowing(
    agent, agent_core, device
):
    meter = device()
    for n, seq in enumerate(range(100, 105)):
        meter.publish(TOPIC, telemetry(seq, n))
    wait_until(lambda: stored_count(agent_core) == 5, what="five genuine readings")
    agent.rules.run_checks()  # the runner's baseline for this device

    forged = 104 + 2**31 - 1
    meter.publish(TOPIC, telemetry(forged, 9999, value=-1.0))
    for n, seq in enumerate(range(105, 305), start=5):
        meter.publish(TOPIC, telemetry(seq, n))
    wait_until(lambda: agent.writer.counters.received == 206, what="every message judged")

    assert stored_count(agent_core) == 205  # every genuine message, the forged one not
    with agent_core.db.reader() as session:
        seq = devices.get_seq(session=session, device_id=DEVICE)
        (letter,) = session.exec(select(DeadLetter)).all()
    assert (seq.last, seq.duplicates, seq.missing, seq.gaps) == (304, 0, 0, 0)
    assert letter.reason == "seq_suspect"
    assert letter.topic == TOPIC
    assert f"seq {forged}" in letter.detail
    assert "2147483647 ahead" in letter.detail
    assert agent.writer.counters.duplicates == 0

    agent.rules.run_checks()
    with agent_core.db.reader() as session:
        (finding,) = findings.list_findings(session=session, rule_id="iot.sequence-suspect").items
    assert (finding.key, finding.device_id, finding.severity) == (DEVICE, DEVICE, "medium")
    assert "jumped too far ahead to be trusted" in finding.summary


def test_a_real_jump_is_taken_once_the_next_message_continues_from_it(agent, agent_core, device):
    """A device that kept counting through a long outage: its first message after it is
    held, the next one corroborates it and starts a new boot; nothing else is lost and no
    huge count of missing messages appears."""
    meter = device()
    for n, seq in enumerate(range(10, 13)):
        meter.publish(TOPIC, telemetry(seq, n))
    for n, seq in enumerate(range(500_000, 500_004), start=3):
        meter.publish(TOPIC, telemetry(seq, n))
    wait_until(lambda: agent.writer.counters.received == 7, what="every message judged")
    assert stored_count(agent_core) == 6  # the first after the jump was held
    with agent_core.db.reader() as session:
        seq = devices.get_seq(session=session, device_id=DEVICE)
        (letter,) = session.exec(select(DeadLetter)).all()
    assert (seq.boot, seq.last, seq.missing, seq.duplicates) == (1, 500_003, 0, 0)
    assert letter.reason == "seq_suspect"


def test_the_finding_resolves_once_no_message_was_held_for_a_whole_window(core):
    clock = FakeClock()
    rule = SeqSuspectRule(
        id="iot.sequence-suspect", name="Suspect", severity=Severity.MEDIUM, window_s=600
    )

    def held(total: int) -> None:
        with core.db.writer() as session:
            row = session.get(DeviceSeq, "meter-1") or DeviceSeq(device_id="meter-1")
            row.state = SeqState(last=10, suspects=total).to_json()
            session.add(row)

    with core.db.writer() as session:
        devices.record_seen(session=session, device_id="meter-1", seen_at=clock.now())
    held(3)  # held before Warden started: not counted again
    runner = RuleRunner(core.db, [rule], clock)
    assert runner.run_checks() == 0
    clock.advance(30)
    held(4)
    assert runner.run_checks() == 1
    with core.db.reader() as session:
        (finding,) = findings.list_findings(session=session).items
    assert (finding.status, finding.count, finding.key) == (FindingStatus.OPEN, 1, "meter-1")
    assert finding.summary.startswith("1 message from meter-1 within 600 s jumped too far")
    clock.advance(600)
    assert runner.run_checks() == 0
    with core.db.reader() as session:
        (finding,) = findings.list_findings(session=session).items
    assert finding.status == FindingStatus.RESOLVED


def hello(seq: int, uptime_s: int, fw: str, second: int) -> dict:
    return {
        "v": 2,
        "device_id": DEVICE,
        "ts": f"2026-02-12T10:00:{second:02d}Z",
        "seq": seq,
        "msg_type": "hello",
        "fw_version": fw,
        "uptime_s": uptime_s,
        "broker_connections": 1,
        "buf_usage_pct": 3,
    }


def test_a_forged_restart_is_held_and_changes_nothing_the_next_real_one_is_judged_by(
    agent, agent_core, device
):
    meter = device()
    for n, seq in enumerate(range(100, 103)):
        meter.publish(TOPIC, telemetry(seq, n))
    meter.publish(f"iot/{DEVICE}/hello", hello(103, 5000, "2.1.0", 10))
    forged = 103 + 2**31
    meter.publish(f"iot/{DEVICE}/hello", hello(forged, 1, "6.6.6", 50))
    meter.publish(TOPIC, telemetry(104, 3))
    wait_until(lambda: agent.writer.counters.received == 6, what="every message judged")
    with agent_core.db.reader() as session:
        seq = devices.get_seq(session=session, device_id=DEVICE)
        (letter,) = session.exec(select(DeadLetter)).all()
        row = devices.get_device(session=session, ref=DEVICE)
    assert (seq.boot, seq.last) == (0, 104)
    assert (row.firmware, row.uptime_s) == ("2.1.0", 5000)
    assert letter.detail.startswith(f"a restart signal with seq {forged}")

    meter.publish(f"iot/{DEVICE}/hello", hello(2, 4, "2.1.0", 59))  # a real reboot
    wait_until(lambda: agent.writer.counters.received == 7, what="the real hello")
    with agent_core.db.reader() as session:
        seq = devices.get_seq(session=session, device_id=DEVICE)
    assert (seq.boot, seq.last) == (1, 2)
