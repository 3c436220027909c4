"""The action readers: a step's output (a diagnostic can print anything the machine knows)
goes only to the roles that may approve actions; a viewer reads how each step went and is
told why its output is left out."""

from __future__ import annotations

import pytest

from core.models import ActionState, Actor, Origin, Role
from core.playbooks import parse_playbook
from core.services import actions, findings
from core.services.playbooks import PLAYBOOKS
from tests.factories import FakeClock, make_device

SECRET = "root:x:0:0:root:/root:/bin/sh\n"


def reader(role: Role | None) -> Actor:
    return Actor(name=f"{role or 'local'}-user", origin=Origin.WEB, role=role)


@pytest.fixture
def finished(core):
    """An action that ran: a diagnostic that printed something, then a failing command."""
    clock = FakeClock()
    with core.db.writer() as session:
        make_device(session, id="temp-1", type="sensor_temp", ip="192.168.1.20")
        PLAYBOOKS.sync(
            session=session,
            shipped=[
                parse_playbook(
                    {
                        "pack": "test",
                        "id": "test.check",
                        "name": "Check",
                        "on": ["test.hot"],
                        "steps": [
                            {
                                "kind": "diagnostic",
                                "template": "route_to",
                                "params": {"ip": "{ip}"},
                            },
                            {"kind": "command", "cmd": "request_status"},
                        ],
                    }
                )
            ],
            now=clock.now(),
        )
        findings.raise_finding(
            session=session,
            now=clock.now(),
            firing=findings.FindingIn(
                rule_id="test.hot",
                severity="high",
                key="temp-1",
                device_id="temp-1",
                ts_ms=0,
                summary="hot",
            ),
        )
    with core.db.writer() as session:
        (proposed,) = actions.list_actions(session=session, reader=reader(None)).items
        actions.approve(session=session, action_id=proposed.id, actor=reader(None), now=clock.now())
        actions.claim_approved(session=session, now=clock.now())
        actions.finish(
            session=session,
            action_id=proposed.id,
            results=[
                {"kind": "diagnostic", "ok": True, "output": SECRET, "exit": 0},
                {"kind": "command", "ok": False, "error": "device offline"},
            ],
            now=clock.now(),
        )
    return proposed.id


@pytest.mark.parametrize("role", [None, Role.OPERATOR, Role.ADMIN])
def test_the_roles_that_may_approve_read_the_output(core, finished, role):
    with core.db.reader() as session:
        one = actions.get_action(session=session, action_id=finished, reader=reader(role))
        (listed,) = actions.list_actions(session=session, reader=reader(role)).items
    for action in (one, listed):
        assert action.results[0]["output"] == SECRET
        assert action.outputs_hidden is None


def test_a_viewer_reads_how_each_step_went_without_its_output_and_is_told_why(core, finished):
    with core.db.reader() as session:
        one = actions.get_action(session=session, action_id=finished, reader=reader(Role.VIEWER))
        (listed,) = actions.list_actions(session=session, reader=reader(Role.VIEWER)).items
    for action in (one, listed):
        assert action.state == ActionState.FAILED
        assert action.results == [
            {"kind": "diagnostic", "ok": True, "exit": 0},
            {"kind": "command", "ok": False, "error": "device offline"},
        ]
        assert action.outputs_hidden == (
            "step output is shown to the operator role and above (viewer-user is a viewer)"
        )
        assert action.steps[0]["argv"] == ["ip", "route", "get", "192.168.1.20"]
    with core.db.reader() as session:  # the stored output itself is untouched
        full = actions.get_action(session=session, action_id=finished, reader=reader(None))
    assert full.results[0]["output"] == SECRET


def test_nothing_is_hidden_before_anything_ran(core, finished):
    with core.db.reader() as session:
        action = actions.get_action(session=session, action_id=finished, reader=reader(None))
    assert action.outputs_hidden is None
