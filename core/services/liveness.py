"""Liveness (PROTOCOL.md): a device is offline when nothing arrived from it within
``2 * max(send_interval_s, hello_interval_s)``, or at once when its last will arrives (that
part is in the ingest service)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from core.models import Actor, Device, DeviceStatus
from core.services.changes import record_device_change

DEFAULT_SEND_INTERVAL_S = 10
DEFAULT_HELLO_INTERVAL_S = 30


def silence_allowed(device: Device) -> timedelta:
    send = device.send_interval_s or DEFAULT_SEND_INTERVAL_S
    hello = device.hello_interval_s or DEFAULT_HELLO_INTERVAL_S
    return timedelta(seconds=2 * max(send, hello))


def expire_silent_devices(*, session: Session, now: datetime) -> list[str]:
    """Mark online devices that have been silent too long offline; returns their ids."""
    gone = []
    online = session.exec(select(Device).where(Device.status == DeviceStatus.ONLINE))
    for device in online:
        allowed = silence_allowed(device)
        if device.last_seen is None or now - device.last_seen > allowed:
            device.status = DeviceStatus.OFFLINE
            device.updated_at = now
            session.add(device)
            record_device_change(
                session=session,
                actor=Actor.system("liveness"),
                kind="device.went_offline",
                device_id=device.id,
                summary=f"{device.id} is offline: silent for more than "
                f"{int(allowed.total_seconds())} s",
            )
            gone.append(device.id)
    if gone:
        session.commit()
    return gone
