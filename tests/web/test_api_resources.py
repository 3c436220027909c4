"""One walk through each resource of the API as the role that uses it, plus the shared
behaviour: the error shape, pagination and the body size limit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.clock import to_ms
from core.models import Actor, Origin
from core.playbooks import parse_playbook
from core.ports import KernelFeatures
from core.runtime import KnownKernel
from core.services import findings, telemetry
from core.services.playbooks import PLAYBOOKS
from tests.factories import make_device, readings
from tests.web.conftest import url

NO_NETEM = KernelFeatures(
    qdiscs=frozenset({"htb", "fq_codel"}), classifiers=frozenset({"u32"}), actions=frozenset()
)


@pytest.fixture
def fleet(core, clock):
    with core.db.writer() as session:
        for number in (1, 2):
            make_device(session, id=f"camera-{number}", type="camera", ip=f"10.0.0.2{number}")
        make_device(session, id="temp-1", type="sensor_temp", seen_at=clock.now(), ip="10.0.0.9")
    return ["camera-1", "camera-2", "temp-1"]


def raise_hot(core, clock, device="temp-1"):
    with core.db.writer() as session:
        return findings.raise_finding(
            session=session,
            now=clock.now(),
            firing=findings.FindingIn(
                rule_id="test.hot",
                severity="high",
                key=device,
                device_id=device,
                ts_ms=to_ms(clock.now()),
                summary=f"{device} is hot",
            ),
        )


def error_of(answer):
    body = answer.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    return body["error"]["code"]


def test_devices_list_in_pages(client, fleet, viewer):
    first = client.get(url("/devices"), params={"limit": 2}, headers=viewer).json()
    assert [d["id"] for d in first["items"]] == ["camera-1", "camera-2"]
    assert (first["limit"], first["offset"], first["next_offset"]) == (2, 0, 2)
    rest = client.get(url("/devices"), params={"limit": 2, "offset": 2}, headers=viewer).json()
    assert [d["id"] for d in rest["items"]] == ["temp-1"]
    assert rest["next_offset"] is None
    cameras = client.get(url("/devices"), params={"type": "camera"}, headers=viewer).json()
    assert len(cameras["items"]) == 2


@pytest.mark.parametrize("limit", [0, 1001])
def test_a_limit_out_of_range_is_a_validation_error(client, viewer, limit):
    answer = client.get(url("/devices"), params={"limit": limit}, headers=viewer)
    assert answer.status_code == 422
    assert error_of(answer) == "validation_error"


def test_registering_a_device_shows_its_key_once_and_the_key_works(client, admin):
    answer = client.post(
        url("/devices"), json={"id": "meter-9", "type": "power_meter"}, headers=admin
    )
    assert answer.status_code == 201
    body = answer.json()
    assert body["device"]["id"] == "meter-9"
    key = body["api_key"]
    assert key.startswith(body["key"]["prefix"])
    listed = client.get(url("/devices/meter-9/keys"), headers=admin)
    assert key not in listed.text and listed.json()[0]["prefix"] == body["key"]["prefix"]
    beat = client.post(url("/devices/heartbeat"), headers={"X-API-Key": key})
    assert beat.status_code == 200, beat.text

    again = client.post(url("/devices"), json={"id": "meter-9"}, headers=admin)
    assert again.status_code == 400
    assert error_of(again) == "invalid_input"

    rotated = client.post(url("/devices/meter-9/key"), headers=admin).json()
    assert rotated["api_key"] != key
    stale = client.post(url("/devices/heartbeat"), headers={"X-API-Key": key})
    assert stale.status_code == 401


def test_update_enable_and_disable_a_device(client, fleet, admin):
    patched = client.patch(url("/devices/temp-1"), json={"location": "attic"}, headers=admin)
    assert patched.json()["location"] == "attic"
    assert client.post(url("/devices/temp-1/disable"), headers=admin).json()["enabled"] is False
    assert client.post(url("/devices/temp-1/enable"), headers=admin).json()["enabled"] is True


def test_an_unknown_device_is_404_with_suggestions_in_the_message(client, fleet, viewer):
    answer = client.get(url("/devices/camera-3"), headers=viewer)
    assert answer.status_code == 404
    assert error_of(answer) == "device_not_found"
    assert "camera-1" in answer.json()["error"]["message"]


def test_telemetry_is_downsampled(client, core, clock, fleet, viewer):
    start = clock.now() - timedelta(minutes=10)
    with core.db.writer() as session:
        telemetry.append_readings(
            session=session,
            device_id="temp-1",
            readings=readings("temp", start_ms=to_ms(start), count=600, unit="C"),
            actor=Actor.system(),
        )
    answer = client.get(
        url("/devices/temp-1/telemetry"),
        params={"metric": "temp", "since": "-10m", "points": 10},
        headers=viewer,
    )
    assert answer.status_code == 200, answer.text
    window = answer.json()
    assert window["rows"] == 600 and len(window["points"]) == 10
    series = client.get(url("/devices/temp-1/series"), headers=viewer).json()
    assert [s["metric"] for s in series] == ["temp"]
    missing = client.get(url("/devices/temp-1/telemetry"), params={"metric": "x"}, headers=viewer)
    assert (missing.status_code, error_of(missing)) == (404, "series_not_found")


def test_queue_and_list_commands(client, fleet, operator):
    answer = client.post(
        url("/devices/temp-1/commands"), json={"cmd": "request_status"}, headers=operator
    )
    assert answer.status_code == 201, answer.text
    listed = client.get(url("/commands"), params={"device": "temp-1"}, headers=operator).json()
    assert [c["id"] for c in listed["items"]] == [answer.json()["id"]]
    bad = client.post(url("/devices/temp-1/commands"), json={"cmd": "explode"}, headers=operator)
    assert (bad.status_code, error_of(bad)) == (400, "invalid_input")


def test_logs_query_answers_a_page(client, viewer):
    body = client.get(url("/logs"), params={"since": "-1h"}, headers=viewer).json()
    assert body["items"] == [] and body["next_offset"] is None


def test_acknowledge_note_and_resolve_a_finding(client, core, clock, fleet, operator):
    finding = raise_hot(core, clock)
    base = url(f"/findings/{finding.id}")
    assert client.post(f"{base}/ack", headers=operator).json()["status"] == "acknowledged"
    noted = client.post(f"{base}/notes", json={"text": "fan replaced"}, headers=operator)
    assert noted.status_code == 201
    resolved = client.post(f"{base}/resolve", json={"why": "cooled down"}, headers=operator)
    assert resolved.json()["status"] == "resolved"
    again = client.post(f"{base}/ack", headers=operator)
    assert (again.status_code, error_of(again)) == (400, "invalid_input")
    listed = client.get(url("/findings"), params={"status": "resolved"}, headers=operator)
    assert [f["id"] for f in listed.json()["items"]] == [finding.id]


def test_a_finding_explained_names_its_rule_and_what_to_do(client, core, clock, fleet, viewer):
    with core.db.writer() as session:
        finding = findings.raise_finding(
            session=session,
            now=clock.now(),
            firing=findings.FindingIn(
                rule_id="enforcement.drift",
                severity="medium",
                key="kernel",
                ts_ms=to_ms(clock.now()),
                summary="kernel state drifted and was repaired",
                details={"repaired": ["class 0x10 missing"], "at_ms": to_ms(clock.now())},
            ),
        )
    body = client.get(url(f"/findings/{finding.id}/explained"), headers=viewer).json()
    assert body["rule"]["name"] == "Enforcement drift"
    assert body["rule"]["remediation"]
    assert body["opened"] == "opened once"
    details = {d["label"]: d for d in body["details"]}
    assert details["repaired"]["text"] == "class 0x10 missing"
    assert details["at"]["at"] is not None and details["at"]["text"] == ""


def test_parse_plan_submit_show_and_revoke_an_intent(client, fleet, operator):
    text = {"text": "limit cameras to 2 mbit"}
    parsed = client.post(url("/intents/parse"), json=text, headers=operator).json()
    assert parsed["ok"] is True
    planned = client.post(url("/intents/plan"), json=text, headers=operator).json()
    assert planned["ok"] is True and planned["intents"][0]["devices"] == ["camera-1", "camera-2"]
    submitted = client.post(url("/intents"), json=text, headers=operator)
    assert submitted.status_code == 201, submitted.text
    (intent,) = submitted.json()["intents"]
    shown = client.get(url(f"/intents/{intent['id']}"), headers=operator).json()
    assert shown["intent"]["id"] == intent["id"] and shown["history"] == []
    revoked = client.post(url(f"/intents/{intent['id']}/revoke"), headers=operator)
    assert revoked.status_code == 200
    assert revoked.json()["status"] != intent["status"]
    not_understood = client.post(url("/intents"), json={"text": "make it fast"}, headers=operator)
    assert not_understood.status_code == 400


def test_approve_and_reject_proposed_actions(client, core, clock, fleet, operator):
    with core.db.writer() as session:
        PLAYBOOKS.sync(
            session=session,
            shipped=[
                parse_playbook(
                    {
                        "pack": "test",
                        "id": "test.check-hot",
                        "name": "Check a hot sensor",
                        "on": ["test.hot"],
                        "mode": "suggest",
                        "steps": [{"kind": "command", "cmd": "request_status"}],
                    }
                )
            ],
            now=clock.now(),
        )
    raise_hot(core, clock)
    (proposed,) = client.get(url("/actions"), headers=operator).json()["items"]
    assert proposed["state"] == "proposed"
    approved = client.post(url(f"/actions/{proposed['id']}/approve"), headers=operator)
    assert approved.json()["state"] == "approved"
    twice = client.post(url(f"/actions/{proposed['id']}/reject"), headers=operator)
    assert twice.status_code in (400, 409)


def test_catalog_enable_disable_and_edit(client, core, clock, admin, viewer):
    with core.db.writer() as session:
        PLAYBOOKS.sync(
            session=session,
            shipped=[
                parse_playbook(
                    {
                        "pack": "test",
                        "id": "test.pb",
                        "name": "A playbook",
                        "on": ["test.hot"],
                        "mode": "suggest",
                        "steps": [{"kind": "command", "cmd": "request_status"}],
                    }
                )
            ],
            now=clock.now(),
        )
    listed = client.get(url("/playbooks"), headers=viewer).json()
    assert [p["id"] for p in listed["items"]] == ["test.pb"]
    assert client.post(url("/playbooks/test.pb/disable"), headers=admin).json()["enabled"] is False
    edited = client.patch(
        url("/playbooks/test.pb"), json={"changes": {"name": "Renamed"}}, headers=admin
    )
    assert edited.status_code == 200, edited.text
    shown = client.get(url("/playbooks/test.pb"), headers=viewer).json()
    assert shown["definition"]["name"] == "Renamed" and shown["edited"] is True
    fixed = client.patch(url("/playbooks/test.pb"), json={"changes": {"id": "x"}}, headers=admin)
    assert fixed.status_code == 400
    assert client.get(url("/rules/nope"), headers=viewer).status_code == 404


def test_maintenance_window_add_list_and_end(client, clock, admin):
    ends = (clock.now() + timedelta(hours=1)).isoformat()
    added = client.post(
        url("/maintenance"), json={"selector": {"all": True}, "ends_at": ends}, headers=admin
    )
    assert added.status_code == 201, added.text
    window = added.json()
    listed = client.get(url("/maintenance"), headers=admin).json()
    assert [w["id"] for w in listed["items"]] == [window["id"]]
    ended = client.post(url(f"/maintenance/{window['id']}/end"), headers=admin)
    assert ended.json()["ended_early_at"] is not None


def test_users_are_managed_by_an_admin(client, admin):
    new = {"name": "nina", "password": "another long passphrase", "role": "viewer"}
    created = client.post(url("/users"), json=new, headers=admin)
    assert created.status_code == 201
    assert "password" not in created.text
    duplicate = client.post(url("/users"), json=new, headers=admin)
    assert (duplicate.status_code, error_of(duplicate)) == (409, "conflict")
    weak = client.post(
        url("/users"), json={**new, "name": "nils", "password": "short"}, headers=admin
    )
    assert weak.status_code == 400
    promoted = client.patch(url("/users/nina"), json={"role": "operator"}, headers=admin)
    assert promoted.json()["role"] == "operator"
    changed = client.post(
        url("/users/nina/password"), json={"password": "a brand new passphrase"}, headers=admin
    )
    assert changed.status_code == 204
    names = [u["name"] for u in client.get(url("/users"), headers=admin).json()["items"]]
    assert names == ["ada", "nina", "otto", "vera"]


def test_the_audit_log_shows_api_changes_with_their_origin(client, fleet, admin, operator):
    client.post(url("/devices/temp-1/disable"), headers=admin)
    client.post(url("/devices/temp-1/disable"), headers=operator)  # refused
    entries = client.get(url("/audit"), params={"origin": "api"}, headers=admin).json()["items"]
    kinds = {(e["actor"], e["kind"], e["outcome"]) for e in entries}
    assert ("ada", "device.disabled", "ok") in kinds
    assert any(actor == "otto" and outcome == "denied" for actor, _, outcome in kinds)
    assert {e["origin"] for e in entries} == {"api"}
    assert {e["address"] for e in entries} == {"testclient"}


def test_stats_and_dead_letters(client, fleet, viewer):
    stats = client.get(url("/stats"), headers=viewer).json()
    assert stats["devices"] == 3
    letters = client.get(url("/deadletters"), headers=viewer).json()
    assert letters["items"] == []


def test_a_body_over_the_limit_is_refused_with_413(client, viewer):
    huge = {"text": "x" * (1024 * 1024 + 1)}
    answer = client.post(url("/intents/parse"), json=huge, headers=viewer)
    assert answer.status_code == 413
    assert error_of(answer) == "payload_too_large"


def test_unknown_routes_and_methods_use_the_error_shape(client, viewer):
    missing = client.get(url("/nothing-here"), headers=viewer)
    assert (missing.status_code, error_of(missing)) == (404, "not_found")
    wrong = client.delete(url("/findings"), headers=viewer)
    assert (wrong.status_code, error_of(wrong)) == (405, "method_not_allowed")


def test_the_openapi_document_names_each_route_permission(client):
    document = client.get(url("/openapi.json")).json()
    assert document["paths"]["/api/v1/devices"]["post"]["x-permission"] == "devices.write"
    assert document["paths"]["/api/v1/audit"]["get"]["x-permission"] == "audit.read"
    assert client.get(url("/docs")).status_code == 200


def test_the_operations_endpoints_sit_at_the_root(client):
    assert client.get("/healthz").status_code == 200


def test_origin_is_api(client, fleet, admin, core):
    client.patch(url("/devices/temp-1"), json={"location": "cellar"}, headers=admin)
    entries = client.get(url("/audit"), params={"kind": "device.updated"}, headers=admin).json()
    assert [e["origin"] for e in entries["items"]] == [Origin.API.value]


def test_deleting_a_device_removes_its_data_and_waits_for_its_live_intents(client, core, admin):
    with core.db.writer() as session:
        make_device(session, id="cam-9", type="camera", ip="10.0.0.9")
        telemetry.append_readings(
            session=session,
            device_id="cam-9",
            readings=readings("temp", start_ms=0, count=2),
            actor=Actor.system(),
        )
    submitted = client.post(url("/intents"), headers=admin, json={"text": "block cam-9"})
    assert submitted.status_code == 201, submitted.text
    (intent,) = submitted.json()["intents"]
    refused = client.delete(url("/devices/cam-9"), headers=admin)
    assert refused.status_code == 409
    assert f"live intents ({intent['id']}); revoke them first" in refused.json()["error"]["message"]
    revoked = client.post(url(f"/intents/{intent['id']}/revoke"), headers=admin)
    assert revoked.status_code == 200

    assert client.delete(url("/devices/cam-9"), headers=admin).status_code == 204
    assert client.get(url("/devices/cam-9"), headers=admin).status_code == 404
    with core.db.engine.connect() as raw:
        left = raw.exec_driver_sql("SELECT count(*) FROM series WHERE device_id = 'cam-9'")
        assert left.scalar() == 0
    audit = client.get(url("/audit"), headers=admin).json()["items"]
    assert any(e["kind"] == "device.deleted" and e["origin"] == "api" for e in audit)


def test_plans_ask_the_cores_kernel_what_it_can_enforce(client, core, fleet, operator):
    core.kernel = KnownKernel(NO_NETEM)
    text = {"text": "add 80 ms of delay to camera-1"}
    planned = client.post(url("/intents/plan"), json=text, headers=operator).json()
    assert planned["ok"] is False
    assert "no netem" in planned["refusals"][0]
    refused = client.post(url("/intents"), json=text, headers=operator)
    assert refused.status_code == 400
    assert "no netem" in refused.text
