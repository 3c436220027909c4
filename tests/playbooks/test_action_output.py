"""Action output through the REST API and the CLI: a viewer's `GET /actions` and
`GET /actions/{id}` leave each step's output out and say why; an operator reads it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from core.config import Settings
from core.models import Actor, Role
from core.playbooks import parse_playbook
from core.runtime import Core, open_core
from core.services import actions, findings, users
from core.services.playbooks import PLAYBOOKS
from tests.factories import make_device
from web.api.app import API_PREFIX, create_app

PASSWORD = "plenty of words, 12+"
SECRET = "line read from a file the viewer must not see\n"


@pytest.fixture
def api_core(settings: Settings) -> Iterator[Core]:
    opened = open_core(settings)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def ran(api_core: Core) -> int:
    core = api_core
    now = core.clock.now()
    system = Actor.system()
    with core.db.writer() as session:
        for name, role in (("vera", Role.VIEWER), ("otto", Role.OPERATOR)):
            users.add_user(
                session=session, name=name, password=PASSWORD, role=role, actor=system, now=now
            )
        make_device(session, id="cam-1", type="camera", ip="192.168.1.30")
        PLAYBOOKS.sync(
            session=session,
            shipped=[
                parse_playbook(
                    {
                        "pack": "test",
                        "id": "test.look",
                        "name": "Look",
                        "on": ["test.odd"],
                        "mode": "auto",
                        "steps": [
                            {"kind": "diagnostic", "template": "echo", "params": {"ip": "{ip}"}}
                        ],
                    }
                )
            ],
            now=now,
        )
        findings.raise_finding(
            session=session,
            now=now,
            firing=findings.FindingIn(
                rule_id="test.odd",
                severity="low",
                key="cam-1",
                device_id="cam-1",
                ts_ms=0,
                summary="odd",
            ),
        )
    with core.db.writer() as session:
        (claimed,) = actions.claim_approved(session=session, now=now)
        actions.finish(
            session=session,
            action_id=claimed.id,
            results=[{"kind": "diagnostic", "ok": True, "output": SECRET}],
            now=now,
        )
    return claimed.id


def headers(client: TestClient, name: str) -> dict[str, str]:
    answer = client.post(f"{API_PREFIX}/auth/login", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_the_api_hides_step_output_from_a_viewer_and_shows_it_to_an_operator(api_core, ran):
    with TestClient(create_app(api_core)) as client:
        viewer, operator = headers(client, "vera"), headers(client, "otto")
        for path in (f"/actions/{ran}", "/actions"):
            seen = client.get(f"{API_PREFIX}{path}", headers=viewer)
            assert seen.status_code == 200
            assert SECRET.strip() not in seen.text
            action = seen.json() if path != "/actions" else seen.json()["items"][0]
            assert action["results"] == [{"kind": "diagnostic", "ok": True}]
            assert action["outputs_hidden"] == (
                "step output is shown to the operator role and above (vera is a viewer)"
            )
            full = client.get(f"{API_PREFIX}{path}", headers=operator).json()
            action = full if path != "/actions" else full["items"][0]
            assert action["results"][0]["output"] == SECRET
            assert action["outputs_hidden"] is None


def test_the_local_cli_shows_the_output(warden, api_core, ran):
    shown = warden("actions", "show", str(ran))
    assert shown.exit_code == 0, shown.output
    assert f"| {SECRET.strip()}" in shown.stdout
    assert "hidden" not in shown.stdout
