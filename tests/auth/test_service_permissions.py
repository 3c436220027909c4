"""Services refuse what the acting user's role does not allow, for every front end."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import to_ms
from core.errors import PermissionDenied
from core.models import Actor, DeviceCreate, DeviceUpdate, Origin, Role
from core.runtime import Core
from core.services import commands, devices, findings, intents, maintenance, notify
from core.services.rules import RULES
from tests.factories import EPOCH_2026, make_device

VIEWER = Actor(name="vic", origin=Origin.WEB, role=Role.VIEWER)
OPERATOR = Actor(name="olga", origin=Origin.WEB, role=Role.OPERATOR)
ADMIN = Actor(name="ada", origin=Origin.WEB, role=Role.ADMIN)


def _raise_finding(core: Core) -> int:
    with core.db.writer() as session:
        finding = findings.raise_finding(
            session=session,
            firing=findings.FindingIn(
                rule_id="security.ssh_bruteforce",
                severity="high",
                key="192.168.1.50",
                ts_ms=to_ms(EPOCH_2026),
                count=1,
                evidence=[1],
                summary="1 failed login from 192.168.1.50",
            ),
            now=EPOCH_2026,
        )
    return finding.id


def test_a_viewer_may_change_nothing(core: Core):
    with core.db.writer() as session:
        make_device(session)
    finding_id = _raise_finding(core)
    attempts = [
        lambda s: intents.submit(
            session=s, text="limit meter-1 to 1mbit", actor=VIEWER, now=EPOCH_2026, features=None
        ),
        lambda s: findings.acknowledge(
            session=s, finding_id=finding_id, actor=VIEWER, now=EPOCH_2026
        ),
        lambda s: findings.add_note(
            session=s, finding_id=finding_id, actor=VIEWER, text="hm", now=EPOCH_2026
        ),
        lambda s: devices.register_device(
            session=s, create=DeviceCreate(id="cam-1", type="camera"), actor=VIEWER
        ),
        lambda s: commands.queue_command(
            session=s, device_ref="meter-1", cmd="reboot", actor=VIEWER
        ),
        lambda s: RULES.set_enabled(
            session=s, entry_id="x", enabled=False, actor=VIEWER, now=EPOCH_2026
        ),
    ]
    for attempt in attempts:
        with core.db.writer() as session, pytest.raises(PermissionDenied):
            attempt(session)


def test_an_operator_handles_findings_but_does_not_administer(core: Core):
    with core.db.writer() as session:
        make_device(session)
    finding_id = _raise_finding(core)
    with core.db.writer() as session:
        acked = findings.acknowledge(
            session=session, finding_id=finding_id, actor=OPERATOR, now=EPOCH_2026
        )
        assert acked.acked_by == "olga"
        findings.resolve(session=session, finding_id=finding_id, actor=OPERATOR, now=EPOCH_2026)
    admin_only = [
        lambda s: devices.register_device(
            session=s, create=DeviceCreate(id="cam-1", type="camera"), actor=OPERATOR
        ),
        lambda s: devices.update_device(
            session=s, device_id="meter-1", update=DeviceUpdate(name="m"), actor=OPERATOR
        ),
        lambda s: devices.set_enabled(
            session=s, device_id="meter-1", enabled=False, actor=OPERATOR
        ),
        lambda s: maintenance.add_window(
            session=s,
            reason="r",
            selector={"all": True},
            starts_at=EPOCH_2026,
            ends_at=EPOCH_2026 + timedelta(hours=1),
            actor=OPERATOR,
        ),
        lambda s: notify.add_target(
            session=s, url="https://example.org/hook", min_severity="high", actor=OPERATOR
        ),
    ]
    for attempt in admin_only:
        with core.db.writer() as session, pytest.raises(PermissionDenied):
            attempt(session)


def test_an_admin_may_administer(core: Core):
    with core.db.writer() as session:
        device = devices.register_device(
            session=session, create=DeviceCreate(id="cam-1", type="camera"), actor=ADMIN
        )
    assert device.id == "cam-1"
