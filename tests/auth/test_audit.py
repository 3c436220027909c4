"""The audit log: logins with their outcome, refused attempts, filters, and who may read it."""

from __future__ import annotations

import pytest

from core.errors import PermissionDenied, Unauthenticated
from core.models import Actor, DeviceCreate, Origin, Outcome, Role
from core.runtime import Core
from core.services import audit, devices, users
from tests.factories import EPOCH_2026, actor

pytestmark = pytest.mark.usefixtures("fast_bcrypt")
ADMIN = Actor(name="root1", origin=Origin.WEB, role=Role.ADMIN)


def _login(core: Core, password: str, origin: Origin = Origin.API) -> None:
    with core.db.writer() as session:
        users.login(
            session=session,
            name="alice",
            password=password,
            address="192.0.2.7",
            now=EPOCH_2026,
            origin=origin,
        )


def entries(core: Core, **filters):
    with core.db.reader() as session:
        return audit.list_audit(session=session, actor=ADMIN, **filters).items


@pytest.fixture
def alice(core: Core) -> None:
    with core.db.writer() as session:
        users.add_user(
            session=session,
            name="alice",
            password="violet-harbour-29-kettle",
            role=Role.OPERATOR,
            actor=actor("installer"),
            now=EPOCH_2026,
        )


@pytest.mark.usefixtures("alice")
def test_logins_are_recorded_with_outcome_origin_and_address(core: Core):
    with pytest.raises(Unauthenticated):
        _login(core, "wrong-but-long-enough", Origin.WEB)
    _login(core, "violet-harbour-29-kettle")
    ok, failed = entries(core, kind_prefix="auth.")
    assert (ok.kind, ok.outcome, ok.origin, ok.actor, ok.address) == (
        "auth.login",
        Outcome.OK,
        Origin.API,
        "alice",
        "192.0.2.7",
    )
    assert (failed.kind, failed.outcome, failed.origin) == (
        "auth.login_failed",
        Outcome.DENIED,
        Origin.WEB,
    )
    added = entries(core, kind_prefix="user.")[0]
    assert (added.kind, added.actor, added.entity_id) == ("user.added", "installer", "alice")


def test_record_denied_writes_a_denied_row_of_its_own(core: Core):
    viewer = Actor(name="vic", origin=Origin.WEB, role=Role.VIEWER, address="192.0.2.8")
    with pytest.raises(PermissionDenied) as caught, core.db.writer() as session:
        devices.register_device(
            session=session, create=DeviceCreate(id="cam-1", type="camera"), actor=viewer
        )
    audit.record_denied(
        db=core.db,
        actor=viewer,
        action="devices.write",
        entity="device",
        entity_id="cam-1",
        summary=str(caught.value),
    )
    (row,) = entries(core, outcome=Outcome.DENIED)
    assert (row.kind, row.actor, row.address, row.entity_id) == (
        "denied.devices.write",
        "vic",
        "192.0.2.8",
        "cam-1",
    )
    assert "needs the admin role" in row.summary
    assert entries(core, kind_prefix="device.") == []  # the refused change left nothing


@pytest.mark.usefixtures("alice")
def test_filters_and_paging(core: Core):
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            _login(core, "wrong-but-long-enough", Origin.WEB)
    everything = entries(core)
    assert [e.id for e in everything] == sorted((e.id for e in everything), reverse=True)
    assert len(entries(core, actor_name="alice")) == 3
    assert len(entries(core, actor_name="installer")) == 1
    assert len(entries(core, origin=Origin.WEB)) == 3
    assert len(entries(core, origin=Origin.CLI)) == 1
    assert len(entries(core, outcome=Outcome.OK)) == 1
    assert entries(core, kind_prefix="auth%") == []  # a prefix, not a LIKE pattern
    page = entries(core, limit=2)
    assert [e.id for e in entries(core, before_id=page[-1].id)] == [
        everything[2].id,
        everything[3].id,
    ]


@pytest.mark.parametrize("role", [Role.VIEWER, Role.OPERATOR])
def test_only_admins_read_the_audit_log(core: Core, role: Role):
    with core.db.reader() as session, pytest.raises(PermissionDenied):
        audit.list_audit(session=session, actor=Actor(name="x", origin=Origin.API, role=role))
