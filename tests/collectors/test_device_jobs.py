"""The scheduled jobs with an injected clock: liveness and command delivery/timeouts."""

from __future__ import annotations

from collectors import device_jobs
from core.models import CommandState, DeviceStatus
from core.services import commands, devices
from tests.factories import FakeClock, actor


class RecordingPublisher:
    """The ConfigPublisher port, recording instead of talking to a broker: these tests are
    about the queue's states, not MQTT (tests/collectors covers the real broker)."""

    def __init__(self, accept: bool = True) -> None:
        self.accept = accept
        self.sent: list[tuple[str, bytes, int]] = []

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> bool:
        if self.accept:
            self.sent.append((topic, payload, qos))
        return self.accept


def seen(core, clock, device_id="dc-meter-001"):
    with core.db.writer() as session:
        return devices.record_seen(session=session, device_id=device_id, seen_at=clock.now())


def status(core, device_id="dc-meter-001"):
    with core.db.reader() as session:
        return devices.get_device(session=session, ref=device_id).status


def test_silence_longer_than_twice_the_longest_interval_means_offline(core):
    clock = FakeClock()
    seen(core, clock)
    clock.advance(59)  # defaults: send 10 s, hello 30 s -> offline after 60 s of silence
    assert device_jobs.check_liveness(core.db, clock) == []
    assert status(core) == DeviceStatus.ONLINE
    clock.advance(2)
    assert device_jobs.check_liveness(core.db, clock) == ["dc-meter-001"]
    assert status(core) == DeviceStatus.OFFLINE
    seen(core, clock)  # any message brings it back
    assert status(core) == DeviceStatus.ONLINE


def test_liveness_follows_the_interval_the_device_accepted(core):
    clock = FakeClock()
    seen(core, clock)
    with core.db.writer() as session:
        from core.models import Device

        device = session.get(Device, "dc-meter-001")
        device.send_interval_s = 120  # as an accepted update_config leaves it
        session.add(device)
    clock.advance(200)
    assert device_jobs.check_liveness(core.db, clock) == []
    clock.advance(41)
    assert device_jobs.check_liveness(core.db, clock) == ["dc-meter-001"]


def test_commands_wait_while_offline_then_go_out_then_time_out_without_an_ack(core):
    clock = FakeClock()
    seen(core, clock)
    with core.db.writer() as session:
        devices.mark_offline(
            session=session, device_id="dc-meter-001", reason="test", actor=actor()
        )
        queued = commands.queue_command(
            session=session, device_ref="dc-meter-001", cmd="reboot", actor=actor(), timeout_s=30
        )
    publisher = RecordingPublisher()
    assert device_jobs.dispatch_commands(core.db, publisher, clock, prefix="iot") == 0
    assert publisher.sent == []

    seen(core, clock)
    assert device_jobs.dispatch_commands(core.db, publisher, clock, prefix="iot") == 1
    assert [topic for topic, _, _ in publisher.sent] == ["iot/dc-meter-001/command"]
    assert device_jobs.dispatch_commands(core.db, publisher, clock, prefix="iot") == 0  # sent once

    clock.advance(30)
    assert device_jobs.expire_commands(core.db, clock) == 0
    clock.advance(1)
    assert device_jobs.expire_commands(core.db, clock) == 1
    with core.db.reader() as session:
        final = commands.get_command(session=session, cmd_id=queued.id)
    assert final.state == CommandState.TIMED_OUT
    assert "30 s" in final.detail


def test_a_command_no_broker_takes_stays_pending(core):
    clock = FakeClock()
    seen(core, clock)
    with core.db.writer() as session:
        queued = commands.queue_command(
            session=session, device_ref="dc-meter-001", cmd="request_status", actor=actor()
        )
    assert (
        device_jobs.dispatch_commands(
            core.db, RecordingPublisher(accept=False), clock, prefix="iot"
        )
        == 0
    )
    with core.db.reader() as session:
        assert commands.get_command(session=session, cmd_id=queued.id).state == "pending"


def test_invalid_commands_are_refused_before_they_are_queued(core):
    import pytest

    from core.errors import InvalidInput

    clock = FakeClock()
    seen(core, clock)
    with core.db.writer() as session, pytest.raises(InvalidInput, match="send_interval_s"):
        commands.queue_command(
            session=session,
            device_ref="dc-meter-001",
            cmd="update_config",
            params={"send_interval_s": 0},
            actor=actor(),
        )
