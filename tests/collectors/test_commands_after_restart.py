"""A device's queue waits across a restart: commands queued behind a ``reboot`` reach the
device after it has started again, not back to back into a device that is going away
(through a real broker and the real agent)."""

from __future__ import annotations

import json

from collectors import device_jobs
from core.models import Command, CommandState
from core.services import commands, devices
from tests.collectors.conftest import wait_until
from tests.collectors.test_mqtt_pipeline import TELEMETRY
from tests.factories import actor

DEVICE = "dc-meter-007"
STATUS = f"iot/{DEVICE}/status"


def state(core, cmd_id: str) -> str:
    with core.db.reader() as session:
        return session.get(Command, cmd_id).state


def ack(device, cmd_id: str, seq: int) -> None:
    device.publish(
        f"iot/{DEVICE}/command/ack",
        {
            "v": 2,
            "device_id": DEVICE,
            "ts": "2026-02-12T10:05:01Z",
            "seq": seq,
            "msg_type": "command_ack",
            "cmd_id": cmd_id,
            "result": "accepted",
        },
    )


def known(core) -> bool:
    with core.db.reader() as session:
        return any(d.id == DEVICE for d in devices.list_devices(session=session).items)


def dispatch(agent, core) -> int:
    return device_jobs.dispatch_commands(core.db, agent.collector, core.clock, prefix="iot")


def test_commands_queued_behind_a_reboot_wait_until_the_device_is_back(agent, agent_core, device):
    meter = device(DEVICE)
    meter.subscribe(f"iot/{DEVICE}/command")
    meter.publish(f"iot/{DEVICE}/telemetry", TELEMETRY)
    wait_until(lambda: known(agent_core), what="the device to be known")
    with agent_core.db.writer() as session:
        reboot = commands.queue_command(
            session=session, device_ref=DEVICE, cmd="reboot", actor=actor()
        )
        after = [
            commands.queue_command(
                session=session,
                device_ref=DEVICE,
                cmd="update_config",
                params={"send_interval_s": 10 + i},
                actor=actor(),
            )
            for i in range(3)
        ]
    wait_until(lambda: meter.received, what="the reboot to reach the device")
    wait_until(lambda: state(agent_core, reboot.id) == CommandState.SENT, what="it marked sent")
    assert dispatch(agent, agent_core) == 0  # sent, not answered: the rest waits
    assert [json.loads(p)["cmd"] for _, p in meter.received] == ["reboot"]

    ack(meter, reboot.id, 143)
    wait_until(lambda: state(agent_core, reboot.id) == CommandState.ACCEPTED, what="the ack")
    assert dispatch(agent, agent_core) == 0  # accepted, the device not seen starting yet
    assert [json.loads(p)["cmd"] for _, p in meter.received] == ["reboot"]
    assert {state(agent_core, c.id) for c in after} == {CommandState.PENDING}

    meter.publish(
        STATUS, {"v": 2, "device_id": DEVICE, "ts": "2026-02-12T10:05:09Z", "status": "online"}
    )  # it is back: a new boot
    wait_until(lambda: len(meter.received) == 4, what="the held commands after the restart")
    sent = [json.loads(p) for _, p in meter.received[1:]]
    assert [s["cmd_id"] for s in sent] == [c.id for c in after]
