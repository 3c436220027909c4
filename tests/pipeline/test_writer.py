"""The single writer: batches, acknowledgements strictly after the commit, retries that
acknowledge nothing until the data is safe, duplicates judged across restarts."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

from core.models import Reading
from core.pipeline.batch import RawMessage
from core.pipeline.writer import IngestWriter
from core.services import ingest


def telemetry(seq: int, *, device_id: str = "dc-meter-001", value: float = 700.0) -> bytes:
    second = f"{seq % 60:02d}"
    return json.dumps(
        {
            "v": 2,
            "device_id": device_id,
            "ts": f"2026-02-12T10:00:{second}Z",
            "seq": seq,
            "msg_type": "telemetry",
            "measurements": [
                {
                    "ts": f"2026-02-12T10:{seq // 60 % 60:02d}:{second}Z",
                    "type": "voltage_dc",
                    "val": value + seq,
                    "unit": "V",
                }
            ],
        }
    ).encode()


def make_writer(core, **kwargs) -> IngestWriter:
    return IngestWriter(
        core.db, prefix="iot", max_payload_bytes=262_144, clock=core.clock, **kwargs
    )


@pytest.fixture
def core(any_core):
    """Every test here on SQLite (one agent) and on PostgreSQL (judged under device locks)."""
    return any_core


def stored_readings(core) -> int:
    with core.db.reader() as session:
        return session.exec(select(func.count()).select_from(Reading)).one()


def test_messages_are_acknowledged_only_after_their_rows_are_committed(core):
    writer = make_writer(core)
    seen_at_ack: list[int] = []
    done = threading.Event()

    def ack() -> None:
        # Another connection must already see the committed rows.
        seen_at_ack.append(stored_readings(core))
        if len(seen_at_ack) == 50:
            done.set()

    writer.start()
    for seq in range(50):
        writer.submit(
            RawMessage(
                topic="iot/dc-meter-001/telemetry",
                payload=telemetry(seq),
                received_ms=1_770_890_400_000 + seq,
                ack=ack,
            )
        )
    assert done.wait(15)
    writer.stop()
    assert len(seen_at_ack) == 50
    # Each message was acked when (at least) its own reading was visible to others.
    assert all(count >= 1 for count in seen_at_ack)
    assert stored_readings(core) == 50
    assert writer.counters.stored_messages == 50


def test_a_failed_commit_acknowledges_nothing_and_is_retried(core, monkeypatch):
    real_commit = ingest.commit_batch
    failures = {"left": 2}

    def flaky_commit(**kwargs):
        if failures["left"]:
            failures["left"] -= 1
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        return real_commit(**kwargs)

    monkeypatch.setattr(ingest, "commit_batch", flaky_commit)
    writer = make_writer(core)
    acked = threading.Event()
    acks: list[int] = []

    def ack() -> None:
        acks.append(stored_readings(core))
        acked.set()

    writer.start()
    writer.submit(
        RawMessage(
            topic="iot/dc-meter-001/telemetry",
            payload=telemetry(1),
            received_ms=1_770_890_400_000,
            ack=ack,
        )
    )
    assert acked.wait(15)
    writer.stop()
    assert failures["left"] == 0
    assert acks == [1]  # acknowledged once, after the successful retry
    assert writer.counters.commit_failures == 2
    assert writer.counters.stored_messages == 1  # the failed attempts counted nothing


def test_duplicates_are_recognised_after_a_restart(core):
    first = make_writer(core)
    first.start()
    for seq in range(10):
        first.submit(
            RawMessage(
                topic="iot/dc-meter-001/telemetry",
                payload=telemetry(seq),
                received_ms=1_770_890_400_000 + seq,
            )
        )
    first.stop()
    assert first.counters.stored_messages == 10

    second = make_writer(core)  # a new process: state comes from the database
    second.start()
    for seq in range(5, 15):  # 5..9 were stored before the "crash"
        second.submit(
            RawMessage(
                topic="iot/dc-meter-001/telemetry",
                payload=telemetry(seq),
                received_ms=1_770_890_500_000 + seq,
            )
        )
    second.stop()
    assert second.counters.duplicates == 5
    assert second.counters.stored_messages == 15  # cumulative, persisted with the batches
    assert stored_readings(core) == 15


def test_bad_payloads_are_acknowledged_and_kept(core):
    writer = make_writer(core)
    acked = threading.Event()
    writer.start()
    writer.submit(
        RawMessage(
            topic="iot/dc-meter-001/telemetry",
            payload=b"{oops",
            received_ms=1_770_890_400_000,
            ack=acked.set,
        )
    )
    assert acked.wait(15)
    writer.stop()
    assert writer.counters.dead_letters == {"not_json": 1}


@pytest.mark.parametrize("queue_size", [4])
def test_a_full_queue_blocks_the_producer_instead_of_growing(core, queue_size):
    writer = make_writer(core, queue_size=queue_size)  # not started: nothing drains
    for seq in range(queue_size):
        writer.submit(RawMessage(topic="t", payload=b"", received_ms=seq))
    blocked = threading.Thread(
        target=writer.submit,
        args=(RawMessage(topic="t", payload=b"", received_ms=0),),
        daemon=True,
    )
    blocked.start()
    blocked.join(0.3)
    assert blocked.is_alive()  # back-pressure: the producer waits
    assert writer.queue_depth == queue_size
    writer.start()  # draining frees it
    blocked.join(10)
    assert not blocked.is_alive()
    writer.stop()


def test_a_message_that_trips_a_bug_is_kept_and_the_rest_are_stored(core, monkeypatch):
    from core.pipeline import judge as judge_module

    real_hint = judge_module.type_hint

    def buggy_hint(metrics):
        if "poison" in metrics:
            raise KeyError("a bug")
        return real_hint(metrics)

    monkeypatch.setattr(judge_module, "type_hint", buggy_hint)
    writer = make_writer(core)
    acks = []
    writer.start()
    poison = json.loads(telemetry(3))
    poison["measurements"][0]["type"] = "poison"
    for seq in range(6):
        payload = json.dumps(poison).encode() if seq == 3 else telemetry(seq)
        writer.submit(
            RawMessage(
                topic="iot/dc-meter-001/telemetry",
                payload=payload,
                received_ms=1_770_890_400_000 + seq,
                ack=lambda seq=seq: acks.append(seq),
            )
        )
    writer.stop()
    assert sorted(acks) == list(range(6))  # nothing blocks the stream
    assert stored_readings(core) == 5
    assert writer.counters.dead_letters == {"internal_error": 1}
    assert writer.counters.stored_messages == 5


def test_a_retained_replay_is_no_sign_of_life(core):
    """A broker replays a device's retained "online" from long ago: Warden records when it
    was sent, and does not call the device online because of it."""
    from core.models import Device, DeviceStatus

    writer = make_writer(core)
    writer.start()
    old_online = json.dumps(
        {"v": 2, "device_id": "dc-meter-009", "ts": "2025-01-01T00:00:00Z", "status": "online"}
    ).encode()
    writer.submit(
        RawMessage(
            topic="iot/dc-meter-009/status",
            payload=old_online,
            received_ms=1_770_890_400_000,
            retained=True,
        )
    )
    writer.stop()
    with core.db.reader() as session:
        device = session.get(Device, "dc-meter-009")
    assert device.status == DeviceStatus.UNKNOWN
    assert device.last_seen.isoformat() == "2025-01-01T00:00:00+00:00"

    live = make_writer(core)
    live.start()
    live.submit(
        RawMessage(
            topic="iot/dc-meter-009/telemetry",
            payload=telemetry(0, device_id="dc-meter-009"),
            received_ms=1_770_890_400_000,
        )
    )
    live.stop()
    with core.db.reader() as session:
        assert session.get(Device, "dc-meter-009").status == DeviceStatus.ONLINE


def test_topics_configured_as_flat_carry_flat_json(core):
    from core.protocol import FlatTopic

    writer = make_writer(
        core, flat_topics=[FlatTopic("zigbee2mqtt/+"), FlatTopic("sensors/+/state/#")]
    )
    writer.start()
    for topic in ("zigbee2mqtt/hall-sensor", "sensors/attic-1/state/now"):
        writer.submit(
            RawMessage(
                topic=topic,
                received_ms=1_770_890_400_000,
                payload=b'{"temperature": 21.5, "occupancy": true}',
            )
        )
    writer.submit(
        RawMessage(
            topic="sensors/x/other", received_ms=1_770_890_400_000, payload=b'{"temperature": 1}'
        )
    )  # matches no filter
    writer.stop()
    assert stored_readings(core) == 4  # two devices x (temperature, occupancy as 0/1)
    assert writer.counters.dead_letters == {"unknown_topic": 1}


def test_a_flat_topic_filter_finds_the_device_id():
    import pytest

    from core.protocol import FlatTopic

    assert FlatTopic("sensors/+/state").device_id("sensors/attic-1/state") == "attic-1"
    assert FlatTopic("sensors/+/state").device_id("sensors/attic-1/other") is None
    assert FlatTopic("z2m/+/#").device_id("z2m/lamp/a/b") == "lamp"
    assert FlatTopic("z2m/+/#").device_id("z2m") is None
    with pytest.raises(ValueError, match="device id"):
        FlatTopic("sensors/state")
    with pytest.raises(ValueError, match="filter"):
        FlatTopic("sensors/#/x/+")
