"""The fleet registry."""

from __future__ import annotations

import difflib
from datetime import datetime

from sqlalchemy import ColumnElement, cast, exists, func
from sqlmodel import Session, col, or_, select

from core.errors import Conflict, DeviceNotFound, InvalidInput
from core.models import (
    Actor,
    Device,
    DeviceCreate,
    DeviceFilter,
    DevicePublic,
    DeviceStatus,
    DeviceUpdate,
    SeqPublic,
)
from core.models.device import DEVICE_ID_PATTERN
from core.models.ingest import DeviceSeq
from core.models.types import utcnow
from core.permissions import Permission, authorize
from core.services.changes import record_device_change
from core.services.fleet_read import FLEET_LIMIT
from core.services.paging import Page, page_of, window


def _public(device: Device) -> DevicePublic:
    return DevicePublic.model_validate(device, from_attributes=True)


def register_device(*, session: Session, create: DeviceCreate, actor: Actor) -> DevicePublic:
    """Register a device by hand. Refuses an id that is already registered."""
    authorize(actor, Permission.DEVICES_WRITE)
    if session.get(Device, create.id) is not None:
        raise InvalidInput(f"device {create.id} is already registered")
    device = Device.model_validate(create, update={"name": create.name or create.id})
    session.add(device)
    record_device_change(
        session=session,
        actor=actor,
        kind="device.registered",
        device_id=device.id,
        summary=f"{device.id} registered ({device.type})",
    )
    session.commit()
    return _public(device)


def record_seen(
    *,
    session: Session,
    device_id: str,
    seen_at: datetime,
    device_type: str | None = None,
    firmware: str | None = None,
    actor: Actor | None = None,
) -> DevicePublic:
    """A device spoke: register it if new, mark it online, keep the facts it reported.

    Writes a change only when something a person would notice changed (new device, back
    online, new firmware), so a chatty fleet does not flood the change feed.
    """
    if not DEVICE_ID_PATTERN.match(device_id):
        raise InvalidInput(f"{device_id!r} is not a valid device id")
    actor = actor or Actor.system("collector")
    device = session.get(Device, device_id)
    if device is None:
        device = Device(
            id=device_id,
            name=device_id,
            type=device_type or "unknown",
            firmware=firmware,
            status=DeviceStatus.ONLINE,
            last_seen=seen_at,
        )
        session.add(device)
        record_device_change(
            session=session,
            actor=actor,
            kind="device.registered",
            device_id=device_id,
            summary=f"{device_id} appeared ({device.type})",
        )
    else:
        if device.last_seen is None or seen_at > device.last_seen:
            device.last_seen = seen_at
        if device.status != DeviceStatus.ONLINE:
            device.status = DeviceStatus.ONLINE
            record_device_change(
                session=session,
                actor=actor,
                kind="device.came_online",
                device_id=device_id,
                summary=f"{device_id} is online",
            )
        if device_type and device.type == "unknown":
            device.type = device_type
        if firmware and firmware != device.firmware:
            record_device_change(
                session=session,
                actor=actor,
                kind="device.firmware_changed",
                device_id=device_id,
                summary=f"{device_id} runs firmware {firmware} (was {device.firmware})",
            )
            device.firmware = firmware
        device.updated_at = utcnow()
        session.add(device)
    session.commit()
    return _public(device)


def mark_offline(*, session: Session, device_id: str, reason: str, actor: Actor) -> DevicePublic:
    device = find_device(session, device_id)
    if device.status != DeviceStatus.OFFLINE:
        device.status = DeviceStatus.OFFLINE
        device.updated_at = utcnow()
        session.add(device)
        record_device_change(
            session=session,
            actor=actor,
            kind="device.went_offline",
            device_id=device_id,
            summary=f"{device_id} is offline: {reason}",
        )
        session.commit()
    return _public(device)


def get_device(*, session: Session, ref: str) -> DevicePublic:
    """A device by its id or, failing that, its name; suggests close ids when neither fits."""
    return _public(find_device(session, ref))


def find_device(session: Session, ref: str) -> Device:
    """The device row itself, for other services; front ends use ``get_device``."""
    device = session.get(Device, ref)
    if device is None:
        device = session.exec(select(Device).where(Device.name == ref).limit(1)).first()
    if device is None:
        known = session.exec(select(Device.id)).all()
        close = difflib.get_close_matches(ref, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise DeviceNotFound(f"no device with id or name {ref!r}{hint}", suggestions=close)
    return device


def list_devices(
    *,
    session: Session,
    filters: DeviceFilter | None = None,
    offset: int = 0,
    limit: int = FLEET_LIMIT,
) -> Page[DevicePublic]:
    """The fleet, ordered by id. A type filter matches the type itself or any subtype
    (``camera`` matches ``camera`` and ``camera_ptz``). ``core.services.fleet_read`` answers
    the same query from a current SQLite file without the ORM; a test holds the two equal."""
    filters = filters or DeviceFilter()
    query = select(Device).order_by(col(Device.id))
    if filters.status is not None:
        query = query.where(Device.status == filters.status)
    if filters.type:
        query = query.where(
            or_(
                Device.type == filters.type,
                col(Device.type).startswith(f"{filters.type}_", autoescape=True),
            )
        )
    if filters.tag:
        query = query.where(_has_tag(session, filters.tag))
    if filters.location:
        query = query.where(Device.location == filters.location)
    if filters.enabled is not None:
        query = query.where(Device.enabled == filters.enabled)
    if filters.text:
        words = filters.text  # typed by a person: % and _ are literal
        query = query.where(
            or_(
                col(Device.id).icontains(words, autoescape=True),
                col(Device.name).icontains(words, autoescape=True),
                col(Device.ip).icontains(words, autoescape=True),
            )
        )
    rows = session.exec(window(query, offset=offset, limit=limit)).all()
    return page_of([_public(d) for d in rows], offset=offset, limit=limit)


def _has_tag(session: Session, tag: str) -> ColumnElement[bool]:
    """Whether the device's tags (a JSON list) hold ``tag``, in SQL so that paging holds."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB  # loaded on PostgreSQL only

        return cast(col(Device.tags), JSONB).contains([tag])
    tags = func.json_each(col(Device.tags)).table_valued("value")
    return exists(select(tags.c.value).where(tags.c.value == tag))


def update_device(
    *, session: Session, device_id: str, update: DeviceUpdate, actor: Actor
) -> DevicePublic:
    authorize(actor, Permission.DEVICES_WRITE)
    device = find_device(session, device_id)
    changes = update.model_dump(exclude_unset=True, exclude_none=True)
    if not changes:
        return _public(device)
    for field, value in changes.items():
        setattr(device, field, value)
    device.updated_at = utcnow()
    session.add(device)
    record_device_change(
        session=session,
        actor=actor,
        kind="device.updated",
        device_id=device.id,
        summary=f"{device.id}: changed {', '.join(sorted(changes))}",
    )
    session.commit()
    return _public(device)


def delete_device(*, session: Session, device_id: str, actor: Actor) -> None:
    """Remove a device and everything stored for it (series, readings, commands, API keys,
    sequence state; the database cascades). Refused while a live intent targets it: revoke
    that first, so no policy is left pointing at nothing. Findings and logs keep its id."""
    authorize(actor, Permission.DEVICES_WRITE)
    # Here, not at the top: the intent models load the intent language, which a read of the
    # registry (``warden devices list``) does not need.
    from core.models import IntentRecord, IntentStatus, PolicyRecord

    device = find_device(session, device_id)
    live = [s.value for s in IntentStatus if s.live]
    holding = session.exec(
        select(PolicyRecord.intent_id)
        .join(IntentRecord, col(IntentRecord.id) == col(PolicyRecord.intent_id))
        .where(PolicyRecord.device_id == device.id, col(IntentRecord.status).in_(live))
        .distinct()
    ).all()
    if holding:
        ids = ", ".join(str(i) for i in sorted(holding))
        raise Conflict(f"{device.id} is targeted by live intents ({ids}); revoke them first")
    session.delete(device)
    record_device_change(
        session=session,
        actor=actor,
        kind="device.deleted",
        device_id=device.id,
        summary=f"{device.id} deleted with its stored data",
    )
    session.commit()


def set_enabled(*, session: Session, device_id: str, enabled: bool, actor: Actor) -> DevicePublic:
    authorize(actor, Permission.DEVICES_WRITE)
    device = find_device(session, device_id)
    if device.enabled != enabled:
        device.enabled = enabled
        device.updated_at = utcnow()
        session.add(device)
        verb = "enabled" if enabled else "disabled"
        record_device_change(
            session=session,
            actor=actor,
            kind=f"device.{verb}",
            device_id=device.id,
            summary=f"{device.id} {verb}",
        )
        session.commit()
    return _public(device)


def get_seq(*, session: Session, device_id: str) -> SeqPublic | None:
    """Sequence statistics of a device speaking the v2 protocol (None for others)."""
    row = session.get(DeviceSeq, device_id)
    return SeqPublic.model_validate(row, from_attributes=True) if row is not None else None
