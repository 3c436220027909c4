"""Device API keys: the ``X-API-Key`` credential of devices that speak HTTP.

A key is ``wd_`` and 43 random URL-safe characters (256 bits), shown once. Only its SHA-256
digest is stored (a digest is enough for a random secret; bcrypt is for what people
choose), with its first ``PREFIX_LEN`` characters in clear to find the row. Verification
compares digests in constant time and records the last use at most once a minute.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core.errors import Conflict, InvalidInput, PermissionDenied, Unauthenticated
from core.models import Actor, ApiKey, ApiKeyPublic, Device, DevicePublic
from core.permissions import Permission, authorize
from core.services.changes import record_device_change
from core.services.devices import find_device

KEY_PREFIX = "wd_"
PREFIX_LEN = 12
"""Characters of the key kept in clear (``wd_`` and 9 random ones) to find its row."""
SCOPES = ("telemetry", "logs")
"""``telemetry``: the device routes (telemetry, heartbeat); ``logs``: ``POST /logs/ingest``."""
LAST_USED_EVERY = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per key, to spare the database."""


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _public(row: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(row, from_attributes=True)


def _scopes(scopes: Iterable[str]) -> str:
    chosen = list(dict.fromkeys(scopes))
    if not chosen:
        raise InvalidInput(f"an API key needs at least one scope: {', '.join(SCOPES)}")
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown:
        raise InvalidInput(f"unknown scope {unknown[0]!r}: use {' or '.join(SCOPES)}")
    return ",".join(chosen)


def _active(session: Session, device_id: str) -> list[ApiKey]:
    return list(
        session.exec(
            select(ApiKey)
            .where(ApiKey.device_id == device_id, col(ApiKey.revoked_at).is_(None))
            .order_by(col(ApiKey.id))
        )
    )


def _new_key(session: Session, device_id: str, scopes: str, now: datetime) -> tuple[ApiKey, str]:
    plaintext = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        device_id=device_id,
        prefix=plaintext[:PREFIX_LEN],
        key_hash=_digest(plaintext),
        scopes=scopes,
        created_at=now,
    )
    session.add(row)
    return row, plaintext


def create_key(
    *,
    session: Session,
    device_id: str,
    actor: Actor,
    now: datetime,
    scopes: Iterable[str] = ("telemetry",),
) -> tuple[ApiKeyPublic, str]:
    """A new key for a device (by id or name) that has none active; returns it with its
    plaintext, which is never available again. Refuses (``Conflict``) when the device
    already has an active key: rotate it instead."""
    authorize(actor, Permission.DEVICE_KEYS)
    device = find_device(session, device_id)
    wanted = _scopes(scopes)
    if active := _active(session, device.id):
        raise Conflict(
            f"device {device.id} already has an active API key ({active[0].prefix}…); "
            "rotate it to replace it"
        )
    row, plaintext = _new_key(session, device.id, wanted, now)
    record_device_change(
        session=session,
        actor=actor,
        kind="device.key_created",
        device_id=device.id,
        summary=f"{device.id}: API key {row.prefix}… created (scopes {wanted})",
    )
    session.commit()
    return _public(row), plaintext


def rotate_key(
    *,
    session: Session,
    device_id: str,
    actor: Actor,
    now: datetime,
    scopes: Iterable[str] = ("telemetry",),
) -> tuple[ApiKeyPublic, str]:
    """Revoke the device's active keys and create a new one, in one transaction."""
    authorize(actor, Permission.DEVICE_KEYS)
    device = find_device(session, device_id)
    wanted = _scopes(scopes)
    revoked = _revoke(session, device.id, now)
    row, plaintext = _new_key(session, device.id, wanted, now)
    record_device_change(
        session=session,
        actor=actor,
        kind="device.key_rotated",
        device_id=device.id,
        summary=f"{device.id}: API key {row.prefix}… created (scopes {wanted}), "
        f"{revoked} older key(s) revoked",
    )
    session.commit()
    return _public(row), plaintext


def _revoke(session: Session, device_id: str, now: datetime) -> int:
    active = _active(session, device_id)
    for row in active:
        row.revoked_at = now
        session.add(row)
    return len(active)


def revoke_keys(*, session: Session, device_id: str, actor: Actor, now: datetime) -> int:
    """Revoke every active key of a device; returns how many there were."""
    authorize(actor, Permission.DEVICE_KEYS)
    device = find_device(session, device_id)
    revoked = _revoke(session, device.id, now)
    if revoked:
        record_device_change(
            session=session,
            actor=actor,
            kind="device.key_revoked",
            device_id=device.id,
            summary=f"{device.id}: {revoked} API key(s) revoked",
        )
        session.commit()
    return revoked


def list_keys(*, session: Session, device_id: str) -> list[ApiKeyPublic]:
    """A device's keys, revoked ones too, oldest first (prefixes only, never secrets)."""
    device = find_device(session, device_id)
    rows = session.exec(
        select(ApiKey).where(ApiKey.device_id == device.id).order_by(col(ApiKey.id))
    )
    return [_public(row) for row in rows]


def verify_key(*, session: Session, key: str, scope: str, now: datetime) -> DevicePublic:
    """The device a key belongs to. ``Unauthenticated`` for an unknown or revoked key,
    ``PermissionDenied`` for a key without ``scope`` or a disabled device. Commits the
    session when it records the key's use (at most once a minute)."""
    digest = _digest(key)
    found = None
    if key.startswith(KEY_PREFIX) and len(key) > PREFIX_LEN:
        candidates = session.exec(
            select(ApiKey).where(
                ApiKey.prefix == key[:PREFIX_LEN], col(ApiKey.revoked_at).is_(None)
            )
        )
        for row in candidates:  # prefixes may collide; digests decide
            if hmac.compare_digest(row.key_hash, digest):
                found = row
    if found is None:
        raise Unauthenticated("unknown API key")
    if scope not in found.scopes.split(","):
        raise PermissionDenied(f"this API key does not have the {scope} scope")
    device = session.get(Device, found.device_id)
    if device is None:  # pragma: no cover - keys are deleted with their device
        raise Unauthenticated("unknown API key")
    if not device.enabled:
        raise PermissionDenied(f"device {device.id} is disabled")
    public = DevicePublic.model_validate(device, from_attributes=True)
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_EVERY:
        found.last_used_at = now
        session.add(found)
        session.commit()
    return public
