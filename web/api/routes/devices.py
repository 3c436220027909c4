"""``/devices``: the fleet registry, registration by hand and device API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from core.models import (
    ApiKeyPublic,
    DeviceCreate,
    DeviceFilter,
    DevicePublic,
    DeviceStatus,
    DeviceUpdate,
)
from core.services import apikeys, devices
from web.api.deps import (
    CanManageKeys,
    CanRead,
    CanWriteDevices,
    CoreDep,
    PagingDep,
)
from web.api.schemas import (
    DeviceRegistered,
    DeviceRegisterIn,
    KeyIn,
    KeyIssued,
    KeyRevoked,
    Page,
)

router = APIRouter(prefix="/devices", tags=["devices"])


@router.get("", response_model=Page[DevicePublic])
def list_devices(
    core: CoreDep,
    actor: CanRead,
    paging: PagingDep,
    status: DeviceStatus | None = None,
    type: str | None = None,
    tag: str | None = None,
    location: str | None = None,
    enabled: bool | None = None,
    q: Annotated[str | None, Query(max_length=128, description="Text in id, name or IP.")] = None,
) -> Page[DevicePublic]:
    filters = DeviceFilter(
        status=status, type=type, tag=tag, location=location, enabled=enabled, text=q
    )
    with core.db.reader() as session:
        return devices.list_devices(
            session=session, filters=filters, offset=paging.offset, limit=paging.limit
        )


@router.post("", response_model=DeviceRegistered, status_code=status.HTTP_201_CREATED)
def register_device(
    body: DeviceRegisterIn, core: CoreDep, actor: CanWriteDevices
) -> DeviceRegistered:
    """Register a device by hand. The answer carries its API key: shown this once."""
    create = DeviceCreate.model_validate(body.model_dump(exclude={"scopes"}))
    with core.db.writer() as session:
        device = devices.register_device(session=session, create=create, actor=actor)
        key, secret = apikeys.create_key(
            session=session,
            device_id=device.id,
            actor=actor,
            now=core.clock.now(),
            scopes=body.scopes,
        )
    return DeviceRegistered(device=device, key=key, api_key=secret)


@router.get("/{device_id}", response_model=DevicePublic)
def get_device(device_id: str, core: CoreDep, actor: CanRead) -> DevicePublic:
    with core.db.reader() as session:
        return devices.get_device(session=session, ref=device_id)


@router.patch("/{device_id}", response_model=DevicePublic)
def update_device(
    device_id: str, body: DeviceUpdate, core: CoreDep, actor: CanWriteDevices
) -> DevicePublic:
    with core.db.writer() as session:
        return devices.update_device(session=session, device_id=device_id, update=body, actor=actor)


@router.post("/{device_id}/enable", response_model=DevicePublic)
def enable_device(device_id: str, core: CoreDep, actor: CanWriteDevices) -> DevicePublic:
    with core.db.writer() as session:
        return devices.set_enabled(session=session, device_id=device_id, enabled=True, actor=actor)


@router.delete("/{device_id}", status_code=204)
def delete_device(device_id: str, core: CoreDep, actor: CanWriteDevices) -> None:
    """Remove the device and its stored data (refused while a live intent targets it)."""
    with core.db.writer() as session:
        devices.delete_device(session=session, device_id=device_id, actor=actor)


@router.post("/{device_id}/disable", response_model=DevicePublic)
def disable_device(device_id: str, core: CoreDep, actor: CanWriteDevices) -> DevicePublic:
    with core.db.writer() as session:
        return devices.set_enabled(session=session, device_id=device_id, enabled=False, actor=actor)


@router.post("/{device_id}/key", response_model=KeyIssued)
def rotate_key(
    device_id: str, core: CoreDep, actor: CanManageKeys, body: KeyIn | None = None
) -> KeyIssued:
    """A new API key for the device (its old keys stop working): shown this once."""
    scopes = (body or KeyIn()).scopes
    with core.db.writer() as session:
        key, secret = apikeys.rotate_key(
            session=session, device_id=device_id, actor=actor, now=core.clock.now(), scopes=scopes
        )
    return KeyIssued(key=key, api_key=secret)


@router.get("/{device_id}/keys", response_model=list[ApiKeyPublic])
def list_keys(device_id: str, core: CoreDep, actor: CanManageKeys) -> list[ApiKeyPublic]:
    """The device's keys: prefixes, scopes and last use, never the keys themselves."""
    with core.db.reader() as session:
        return apikeys.list_keys(session=session, device_id=device_id)


@router.delete("/{device_id}/key", response_model=KeyRevoked)
def revoke_keys(device_id: str, core: CoreDep, actor: CanManageKeys) -> KeyRevoked:
    """Revoke every active key of the device."""
    with core.db.writer() as session:
        count = apikeys.revoke_keys(
            session=session, device_id=device_id, actor=actor, now=core.clock.now()
        )
    return KeyRevoked(revoked=count)
