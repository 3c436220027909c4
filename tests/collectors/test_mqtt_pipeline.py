"""The telemetry pipeline end to end: a real mosquitto, the real collector and writer, the
PROTOCOL.md examples published as a device would."""

from __future__ import annotations

import contextlib
import json

from sqlmodel import select

from core.errors import DeviceNotFound
from core.models import Command, DeadLetter, Device, DeviceStatus
from core.services import commands, devices, telemetry
from core.services.stats import store_stats
from core.timeparse import parse_time
from tests.collectors import both_databases
from tests.collectors.conftest import wait_until
from tests.factories import actor

agent_core = both_databases.agent_core

TELEMETRY = {
    "v": 2,
    "device_id": "dc-meter-007",
    "ts": "2026-02-12T10:00:10Z",
    "seq": 142,
    "msg_type": "telemetry",
    "measurements": [
        {"ts": "2026-02-12T10:00:01Z", "type": "voltage_dc", "val": 756.3, "unit": "V"},
        {"ts": "2026-02-12T10:00:01Z", "type": "current_dc", "val": 312.8, "unit": "A"},
    ],
}
HELLO = {
    "v": 2,
    "device_id": "dc-meter-007",
    "ts": "2026-02-12T10:00:30Z",
    "seq": 145,
    "msg_type": "hello",
    "fw_version": "2.1.0",
    "uptime_s": 86400,
    "broker_connections": 2,
    "buf_usage_pct": 12,
    "temp_internal": 42.3,
}
T1 = 1_770_890_401_000  # 2026-02-12T10:00:01Z, the measurements' own time
DAY_START = "2026-02-12T00:00:00Z"
DAY_END = "2026-02-13T00:00:00Z"


def _readings(core, device_id, metric):
    """Every stored (ts_ms, value) of a series on the day of the examples."""
    now = core.clock.now()
    with core.db.reader() as session, contextlib.suppress(DeviceNotFound):
        return telemetry.raw_readings(
            session=session,
            device_id=device_id,
            metric=metric,
            since=parse_time(DAY_START, now=now),
            until=parse_time(DAY_END, now=now),
        )
    return []  # not registered yet


def _device(core, device_id):
    with core.db.reader() as session:
        return session.get(Device, device_id)


def _stats(core):
    with core.db.reader() as session:
        return store_stats(session=session, now=core.clock.now())


def test_protocol_examples_are_stored_exactly(agent, agent_core, device):
    meter = device()
    meter.publish("iot/dc-meter-007/telemetry", TELEMETRY)
    meter.publish("iot/dc-meter-007/hello", HELLO)

    wait_until(
        lambda: (_device(agent_core, "dc-meter-007") or Device(id="x", name="x")).firmware,
        what="the hello to be stored",
    )
    assert _readings(agent_core, "dc-meter-007", "voltage_dc") == [(T1, 756.3)]
    assert _readings(agent_core, "dc-meter-007", "current_dc") == [(T1, 312.8)]
    # derived P = V·I for a DC meter, as its own series
    assert _readings(agent_core, "dc-meter-007", "power_dc") == [(T1, 756.3 * 312.8)]
    with agent_core.db.reader() as session:
        units = {
            s.metric: s.unit
            for s in telemetry.list_series(session=session, device_id="dc-meter-007")
        }
    assert units == {"voltage_dc": "V", "current_dc": "A", "power_dc": "W"}
    meter_row = _device(agent_core, "dc-meter-007")
    assert meter_row.type == "power_meter_dc"
    assert meter_row.status == DeviceStatus.ONLINE
    assert (meter_row.firmware, meter_row.uptime_s, meter_row.broker_connections) == (
        "2.1.0",
        86400,
        2,
    )
    assert meter_row.buf_usage_pct == 12
    assert meter_row.temp_internal == 42.3
    with agent_core.db.reader() as session:
        seq = devices.get_seq(session=session, device_id="dc-meter-007")
    assert (seq.last, seq.gaps, seq.missing) == (145, 1, 2)  # 143 and 144 never came


def test_every_bad_message_becomes_a_dead_letter_and_the_stream_goes_on(agent, agent_core, device):
    sender = device()
    big = json.dumps({**TELEMETRY, "pad": "x" * 300_000}).encode()
    bad = {
        "too_large": ("iot/dc-meter-007/telemetry", big),
        "not_utf8": ("iot/dc-meter-007/telemetry", b"\xff\xfe{}"),
        "not_json": ("iot/dc-meter-007/telemetry", b"{not json"),
        "missing_field": (
            "iot/dc-meter-007/telemetry",
            json.dumps({k: v for k, v in TELEMETRY.items() if k != "seq"}).encode(),
        ),
        "wrong_type": (
            "iot/dc-meter-007/telemetry",
            json.dumps({**TELEMETRY, "seq": "142"}).encode(),
        ),
        "identity_mismatch": ("iot/dc-meter-008/telemetry", json.dumps(TELEMETRY).encode()),
        "bad_device_id": ("iot/bad$id/telemetry", json.dumps(TELEMETRY).encode()),
        "too_many_measurements": (
            "iot/dc-meter-007/telemetry",
            json.dumps({**TELEMETRY, "measurements": TELEMETRY["measurements"] * 101}).encode(),
        ),
        "non_finite": (
            "iot/dc-meter-007/telemetry",
            json.dumps(TELEMETRY).replace("756.3", "NaN").encode(),
        ),
    }
    for topic, payload in bad.values():
        sender.publish(topic, payload)
    sender.publish("iot/dc-meter-007/telemetry", TELEMETRY)  # a good one after all of them

    wait_until(
        lambda: (
            _stats(agent_core).dead_letters == len(bad)
            and _readings(agent_core, "dc-meter-007", "voltage_dc")
        ),
        what="dead letters and the reading",
    )
    with agent_core.db.reader() as session:
        letters = session.exec(select(DeadLetter)).all()
    assert sorted(d.reason for d in letters) == sorted(bad)
    for letter in letters:
        assert letter.size == len(bad[letter.reason][1])
        assert letter.head == bad[letter.reason][1][:1024]
        assert letter.topic == bad[letter.reason][0]
    counters = _stats(agent_core).ingest
    assert counters["dead_letters"] == dict.fromkeys(bad, 1)


def test_last_will_marks_a_device_offline_at_once(agent, agent_core, device):
    meter = device(
        "dc-meter-007",
        will=(
            "iot/dc-meter-007/status",
            b'{"v": 2, "device_id": "dc-meter-007", '
            b'"ts": "2026-02-12T10:00:00Z", "status": "offline"}',
        ),
    )
    meter.publish("iot/dc-meter-007/telemetry", TELEMETRY)
    wait_until(lambda: _device(agent_core, "dc-meter-007"), what="the device to register")
    assert _device(agent_core, "dc-meter-007").status == DeviceStatus.ONLINE
    meter.client.socket().close()  # dies without DISCONNECT: the broker sends the will
    wait_until(
        lambda: _device(agent_core, "dc-meter-007").status == DeviceStatus.OFFLINE,
        what="the last will to mark it offline",
    )


def test_commands_wait_for_the_device_then_are_delivered_and_acked(agent, agent_core, device):
    meter = device("dc-meter-007")
    meter.subscribe("iot/dc-meter-007/command")
    with agent_core.db.writer() as session:
        devices.record_seen(
            session=session, device_id="dc-meter-007", seen_at=agent_core.clock.now()
        )
        devices.mark_offline(
            session=session, device_id="dc-meter-007", reason="test", actor=actor()
        )
        queued = commands.queue_command(
            session=session,
            device_ref="dc-meter-007",
            cmd="update_config",
            params={"send_interval_s": 15},
            actor=actor(),
        )
    # Offline: it waits. A dispatch round sends nothing.
    from collectors import device_jobs

    assert (
        device_jobs.dispatch_commands(
            agent_core.db, agent.collector, agent_core.clock, prefix="iot"
        )
        == 0
    )
    assert meter.received == []

    meter.publish("iot/dc-meter-007/telemetry", TELEMETRY)  # back online
    wait_until(lambda: meter.received, what="the command to reach the device")
    topic, payload = meter.received[0]
    sent = json.loads(payload)
    assert topic == "iot/dc-meter-007/command"
    assert (sent["v"], sent["cmd_id"], sent["cmd"], sent["params"]) == (
        2,
        queued.id,
        "update_config",
        {"send_interval_s": 15},
    )
    meter.publish(
        "iot/dc-meter-007/command/ack",
        {
            "v": 2,
            "device_id": "dc-meter-007",
            "ts": "2026-02-12T10:05:01Z",
            "seq": 150,
            "msg_type": "command_ack",
            "cmd_id": queued.id,
            "result": "accepted",
            "detail": "Config updated. New send_interval_s=15.",
        },
    )

    def accepted():
        with agent_core.db.reader() as session:
            return session.get(Command, queued.id).state == "accepted"

    wait_until(accepted, what="the ack")
    assert _device(agent_core, "dc-meter-007").send_interval_s == 15


def _telemetry(seq: int, second: int) -> dict:
    return {
        **TELEMETRY,
        "seq": seq,
        "measurements": [
            {
                "ts": f"2026-02-12T10:{second // 60:02d}:{second % 60:02d}Z",
                "type": "voltage_dc",
                "val": 700.0 + second,
                "unit": "V",
            }
        ],
    }


def test_sequence_rules_through_the_collector(agent, agent_core, device):
    """Out of order inside the window, the 2**32 wrap, a gap of 5, a reboot: each stored
    once, the gap counted as 5 missing, nothing counted as a duplicate but a real one."""
    meter = device()
    top = 2**32 - 1
    plan = [
        (top - 3, 0),
        (top - 1, 1),
        (top - 2, 2),  # out of order inside the window
        (top, 3),
        (0, 4),  # wraps to 0 in the same boot
        (6, 5),  # 1..5 never come: a gap of 5
        (6, 5),  # a real duplicate
    ]
    for seq, second in plan:
        meter.publish("iot/dc-meter-007/telemetry", _telemetry(seq, second))
    meter.publish(
        "iot/dc-meter-007/status",
        {"v": 2, "device_id": "dc-meter-007", "ts": "2026-02-12T10:01:00Z", "status": "online"},
    )
    for seq, second in [(0, 60), (1, 61)]:  # rebooted: seq restarts, not duplicates
        meter.publish("iot/dc-meter-007/telemetry", _telemetry(seq, second))

    wait_until(
        lambda: len(_readings(agent_core, "dc-meter-007", "voltage_dc")) == 8,
        what="eight distinct readings",
    )
    wait_until(lambda: agent.writer.counters.received == 10, what="all ten messages")
    with agent_core.db.reader() as session:
        seq = devices.get_seq(session=session, device_id="dc-meter-007")
    assert (seq.boot, seq.last) == (1, 1)  # boots count from 0: one reboot seen
    assert seq.duplicates == 1
    assert seq.missing == 5
    assert seq.gaps == 2  # the jump over top-2 was a gap event too, later filled
    assert agent.writer.counters.stored_messages == 9  # 10 received, one duplicate
