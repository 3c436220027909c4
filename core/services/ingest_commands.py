"""What the devices' answers to commands do, committed with the batch that carried them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from core.models import Actor, Command, CommandState, Device
from core.pipeline.batch import IngestBatch
from core.services.changes import record_change

_ACTOR = Actor.system("collector")


def apply_command_results(
    *, session: Session, batch: IngestBatch, devices: dict[str, Device], now: datetime
) -> None:
    """The acknowledgements and OTA progress a batch carried, applied to their commands in
    the batch's transaction (a command already final stays as it is)."""
    for ack in batch.acks:
        command = session.get(Command, ack.cmd_id)
        if (
            command is None
            or command.device_id != ack.device_id
            or CommandState(command.state).final
        ):
            continue
        command.state = CommandState(ack.result)
        command.detail = ack.detail
        command.finished_at = now
        session.add(command)
        if command.state is CommandState.ACCEPTED and command.cmd == "update_config":
            device = devices.get(ack.device_id) or session.get(Device, ack.device_id)
            if device is not None:
                for key in ("send_interval_s", "hello_interval_s"):
                    if key in command.params:
                        setattr(device, key, int(command.params[key]))
                session.add(device)
        record_change(
            session=session,
            actor=_ACTOR,
            kind=f"command.{command.state.value}",
            entity="command",
            entity_id=command.id,
            summary=f"{command.cmd} on {command.device_id}: {command.state.value}"
            + (f" ({ack.detail})" if ack.detail else ""),
        )
    for ota in batch.ota:
        command = session.get(Command, ota.cmd_id)
        if command is None or command.device_id != ota.device_id:
            continue
        command.ota_state = ota.ota_state
        command.ota_progress_pct = ota.progress_pct
        if ota.ota_state in ("success", "failed"):
            command.detail = ota.detail or f"OTA {ota.ota_state}"
            target = ota.fw_version_target or command.params.get("fw_version")
            device = devices.get(ota.device_id) or session.get(Device, ota.device_id)
            if ota.ota_state == "success" and target and device is not None:
                device.firmware = str(target)
                session.add(device)
            record_change(
                session=session,
                actor=_ACTOR,
                kind=f"ota.{ota.ota_state}",
                entity="command",
                entity_id=command.id,
                summary=f"firmware update of {ota.device_id} to "
                f"{ota.fw_version_target or '?'}: {ota.ota_state}",
            )
        session.add(command)
