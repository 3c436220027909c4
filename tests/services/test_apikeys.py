"""Device API keys: shown once, stored as a digest, verified by scope and device state."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlmodel import select

from core.errors import Conflict, PermissionDenied, Unauthenticated
from core.models import Actor, ApiKey, ChangeLog, Origin, Role
from core.services import apikeys, devices
from tests.factories import EPOCH_2026, actor, make_device

NOW = EPOCH_2026
ADMIN = Actor(name="a", origin=Origin.API, role=Role.ADMIN)


@pytest.fixture
def session(core):
    with core.db.writer() as session:
        make_device(session, id="meter-1")
        yield session


def test_a_key_is_stored_as_a_digest_and_verifies(session):
    public, key = apikeys.create_key(session=session, device_id="meter-1", actor=ADMIN, now=NOW)
    assert key.startswith("wd_") and len(key) > 40
    assert public.prefix == key[:12]
    row = session.exec(select(ApiKey)).one()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in (row.key_hash, row.prefix)
    device = apikeys.verify_key(session=session, key=key, scope="telemetry", now=NOW)
    assert device.id == "meter-1"
    kinds = session.exec(select(ChangeLog.kind)).all()
    assert "device.key_created" in kinds
    assert all(key not in s for s in session.exec(select(ChangeLog.summary)).all())


@pytest.mark.parametrize(
    "bad", ["", "wd_", "nope", "wd_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"]
)
def test_unknown_keys_are_unauthenticated(session, bad):
    apikeys.create_key(session=session, device_id="meter-1", actor=ADMIN, now=NOW)
    with pytest.raises(Unauthenticated, match="unknown API key"):
        apikeys.verify_key(session=session, key=bad, scope="telemetry", now=NOW)


def test_a_key_with_the_right_prefix_but_wrong_secret_is_refused(session):
    _, key = apikeys.create_key(session=session, device_id="meter-1", actor=ADMIN, now=NOW)
    forged = key[:12] + ("A" if key[12] != "A" else "B") + key[13:]
    with pytest.raises(Unauthenticated):
        apikeys.verify_key(session=session, key=forged, scope="telemetry", now=NOW)


def test_rotation_revokes_the_old_key(session):
    _, old = apikeys.create_key(session=session, device_id="meter-1", actor=ADMIN, now=NOW)
    with pytest.raises(Conflict, match="already has an active API key"):
        apikeys.create_key(session=session, device_id="meter-1", actor=ADMIN, now=NOW)
    _, new = apikeys.rotate_key(session=session, device_id="meter-1", actor=ADMIN, now=NOW)
    with pytest.raises(Unauthenticated):
        apikeys.verify_key(session=session, key=old, scope="telemetry", now=NOW)
    assert apikeys.verify_key(session=session, key=new, scope="telemetry", now=NOW).id == "meter-1"
    listed = apikeys.list_keys(session=session, device_id="meter-1")
    assert [k.revoked_at is not None for k in listed] == [True, False]


def test_revoked_keys_stop_working(session):
    _, key = apikeys.create_key(session=session, device_id="meter-1", actor=ADMIN, now=NOW)
    assert apikeys.revoke_keys(session=session, device_id="meter-1", actor=ADMIN, now=NOW) == 1
    assert apikeys.revoke_keys(session=session, device_id="meter-1", actor=ADMIN, now=NOW) == 0
    with pytest.raises(Unauthenticated):
        apikeys.verify_key(session=session, key=key, scope="telemetry", now=NOW)


def test_scopes_are_enforced(session):
    _, key = apikeys.create_key(
        session=session, device_id="meter-1", actor=ADMIN, now=NOW, scopes=("logs",)
    )
    assert apikeys.verify_key(session=session, key=key, scope="logs", now=NOW).id == "meter-1"
    with pytest.raises(PermissionDenied, match="telemetry scope"):
        apikeys.verify_key(session=session, key=key, scope="telemetry", now=NOW)


def test_an_unknown_scope_is_refused(session):
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="unknown scope"):
        apikeys.create_key(
            session=session, device_id="meter-1", actor=ADMIN, now=NOW, scopes=("admin",)
        )


def test_a_disabled_device_is_refused(session):
    _, key = apikeys.create_key(session=session, device_id="meter-1", actor=ADMIN, now=NOW)
    devices.set_enabled(session=session, device_id="meter-1", enabled=False, actor=actor())
    with pytest.raises(PermissionDenied, match="device meter-1 is disabled"):
        apikeys.verify_key(session=session, key=key, scope="telemetry", now=NOW)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_only_admins_manage_keys(session, role):
    who = Actor(name="v", origin=Origin.API, role=role)
    with pytest.raises(PermissionDenied):
        apikeys.create_key(session=session, device_id="meter-1", actor=who, now=NOW)
    with pytest.raises(PermissionDenied):
        apikeys.rotate_key(session=session, device_id="meter-1", actor=who, now=NOW)
    with pytest.raises(PermissionDenied):
        apikeys.revoke_keys(session=session, device_id="meter-1", actor=who, now=NOW)
    assert session.exec(select(ApiKey)).all() == []


def test_last_use_is_written_at_most_once_a_minute(session):
    _, key = apikeys.create_key(session=session, device_id="meter-1", actor=ADMIN, now=NOW)

    def last_used():
        session.expire_all()
        return session.exec(select(ApiKey)).one().last_used_at

    apikeys.verify_key(session=session, key=key, scope="telemetry", now=NOW)
    assert last_used() == NOW
    apikeys.verify_key(session=session, key=key, scope="telemetry", now=NOW + timedelta(seconds=30))
    assert last_used() == NOW
    later = NOW + timedelta(seconds=61)
    apikeys.verify_key(session=session, key=key, scope="telemetry", now=later)
    assert last_used() == later
