"""The device-facing HTTP routes of PROTOCOL.md, through a real app and TestClient."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.models import Actor, DeviceStatus, Origin, Role, Setting
from core.services import apikeys, deadletters, devices, logs, telemetry
from core.services.ingest import HTTP_COUNTERS_KEY
from tests.factories import EPOCH_2026, FakeClock, make_device
from web.api import device_routes, ops
from web.api.rate_limit import DEVICE_BURST, IngestLimits

ADMIN = Actor(name="admin", origin=Origin.API, role=Role.ADMIN)
TELEMETRY = "/api/v1/devices/telemetry"
V2 = {
    "v": 2,
    "device_id": "dc-meter-007",
    "ts": "2026-02-12T10:00:10Z",
    "seq": 142,
    "msg_type": "telemetry",
    "measurements": [
        {"ts": "2026-02-12T10:00:01Z", "type": "voltage_dc", "val": 756.3, "unit": "V"},
        {"ts": "2026-02-12T10:00:01Z", "type": "current_dc", "val": 312.8, "unit": "A"},
    ],
}


@pytest.fixture
def limiter_clock():
    return FakeClock()


@pytest.fixture
def app(core, limiter_clock):
    app = FastAPI()
    app.state.core = core
    app.state.ingest_limits = IngestLimits(clock=limiter_clock.monotonic)
    app.include_router(ops.router)
    app.include_router(device_routes.router, prefix="/api/v1")
    return app


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


def _key(core, device_id="dc-meter-007", scopes=("telemetry",)):
    with core.db.writer() as session:
        make_device(session, id=device_id)
        return apikeys.create_key(
            session=session, device_id=device_id, actor=ADMIN, now=EPOCH_2026, scopes=scopes
        )[1]


@pytest.fixture
def key(core):
    return _key(core)


def _values(core, metric, device_id="dc-meter-007"):
    with core.db.reader() as session:
        return telemetry.raw_readings(
            session=session,
            device_id=device_id,
            metric=metric,
            since=EPOCH_2026 - timedelta(days=1),
            until=EPOCH_2026 + timedelta(days=1),
        )


def _dead(core):
    with core.db.reader() as session:
        return deadletters.list_dead_letters(session=session).items


def test_a_v2_envelope_is_stored_like_mqtt(client, core, key):
    answer = client.post(TELEMETRY, json=V2, headers={"X-API-Key": key})
    assert answer.status_code == 201, answer.text
    assert answer.json()["readings"] == 3  # and the derived power
    assert [v for _, v in _values(core, "voltage_dc")] == [756.3]
    assert _values(core, "power_dc")
    with core.db.reader() as session:
        device = devices.get_device(session=session, ref="dc-meter-007")
        assert device.status is DeviceStatus.ONLINE
        assert devices.get_seq(session=session, device_id="dc-meter-007").last == 142
    again = client.post(TELEMETRY, json=V2, headers={"X-API-Key": key})
    assert again.status_code == 201
    assert again.json()["duplicates"] == 1


def test_the_data_metadata_timestamp_body_is_stored(client, core, key):
    body = {
        "data": {"temperature": 21.5, "humidity": 40},
        "metadata": {"location": "roof", "rssi": -70},
        "timestamp": "2026-02-12T10:00:00Z",
    }
    answer = client.post(TELEMETRY, json=body, headers={"X-API-Key": key})
    assert answer.status_code == 201, answer.text
    assert _values(core, "temperature") == [(1770890400000, 21.5)]
    assert _values(core, "humidity") == [(1770890400000, 40.0)]
    with core.db.reader() as session:
        device = devices.get_device(session=session, ref="dc-meter-007")
    assert device.attributes == {"metadata.location": "roof", "metadata.rssi": "-70"}


def test_without_a_key_401(client):
    answer = client.post(TELEMETRY, json=V2)
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "the X-API-Key header is missing"


def test_an_unknown_key_401(client, key):
    answer = client.post(TELEMETRY, json=V2, headers={"X-API-Key": key[:-2] + "xx"})
    assert answer.status_code == 401
    assert answer.json()["error"]["message"] == "unknown API key"


def test_a_disabled_device_403(client, core, key):
    with core.db.writer() as session:
        devices.set_enabled(session=session, device_id="dc-meter-007", enabled=False, actor=ADMIN)
    answer = client.post(TELEMETRY, json=V2, headers={"X-API-Key": key})
    assert answer.status_code == 403
    assert answer.json()["error"]["message"] == "device dc-meter-007 is disabled"


def test_bad_json_400_and_a_dead_letter(client, core, key):
    answer = client.post(TELEMETRY, content=b"{not json", headers={"X-API-Key": key})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "not_json"
    assert "not valid JSON" in answer.json()["error"]["message"]
    [dead] = _dead(core)
    assert (dead.source, dead.reason, dead.head) == ("http", "not_json", b"{not json")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"data": {"temperature": "hot"}}, "data.temperature"),
        ({"data": [1, 2]}, "data"),
        ({"data": {"t": 1}, "metadata": {"where": {"deep": 1}}}, "metadata.where"),
        ({"data": {"t": 1}, "timestamp": "yesterday"}, "timestamp"),
        ({"metadata": {}}, "data"),
        ({**V2, "measurements": [{"type": "voltage_dc", "val": "high"}]}, "measurements[0].val"),
        ({**V2, "seq": "one"}, "seq"),
    ],
)
def test_wrong_types_400_naming_the_field(client, core, key, body, field):
    raw = json.dumps(body).encode()
    answer = client.post(TELEMETRY, content=raw, headers={"X-API-Key": key})
    assert answer.status_code == 400, answer.text
    assert field in answer.json()["error"]["message"]
    [dead] = _dead(core)
    assert dead.source == "http"
    assert dead.head == raw  # what the device sent, not what the pipeline read


def test_a_v2_body_for_another_device_is_refused(client, core, key):
    answer = client.post(
        TELEMETRY, json={**V2, "device_id": "someone-else"}, headers={"X-API-Key": key}
    )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "identity_mismatch"


def test_too_large_413_by_content_length_and_by_body(client, core, key):
    limit = core.settings.max_payload_bytes
    big = b'{"data": {"x": 1}, "pad": "' + b"a" * limit + b'"}'
    answer = client.post(TELEMETRY, content=big, headers={"X-API-Key": key})
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"

    def chunks():  # no Content-Length: the body itself is measured
        yield big[:1000]
        yield big[1000:]

    answer = client.post(TELEMETRY, content=chunks(), headers={"X-API-Key": key})
    assert answer.status_code == 413
    assert [d.reason for d in _dead(core)] == ["too_large", "too_large"]


def test_rate_limited_429_with_retry_after(client, key, limiter_clock):
    headers = {"X-API-Key": key}
    body = {"data": {"t": 1}}
    codes = [client.post(TELEMETRY, json=body, headers=headers).status_code for _ in range(25)]
    assert codes[:DEVICE_BURST] == [201] * DEVICE_BURST
    refused = client.post(TELEMETRY, json=body, headers=headers)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert "dc-meter-007" in refused.json()["error"]["message"]
    limiter_clock.advance(1.0)
    assert client.post(TELEMETRY, json=body, headers=headers).status_code == 201


def test_unknown_keys_are_limited_per_address(client, limiter_clock):
    headers = {"X-API-Key": "wd_guessing-a-key-here"}
    codes = {client.post(TELEMETRY, json=V2, headers=headers).status_code for _ in range(100)}
    assert codes == {401}
    refused = client.post(TELEMETRY, json=V2, headers=headers)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1


def test_http_counts_are_kept(client, core, key):
    client.post(TELEMETRY, json={"data": {"t": 1}}, headers={"X-API-Key": key})
    client.post(TELEMETRY, content=b"[]", headers={"X-API-Key": key})
    with core.db.reader() as session:
        counts = session.get(Setting, HTTP_COUNTERS_KEY).value
    assert counts["stored_messages"] == 1
    assert counts["dead_letters"] == {"not_json": 1}


def test_heartbeat_marks_the_device_seen(client, core, key):
    answer = client.post("/api/v1/devices/heartbeat", headers={"X-API-Key": key})
    assert answer.status_code == 200
    with core.db.reader() as session:
        device = devices.get_device(session=session, ref="dc-meter-007")
    assert device.status is DeviceStatus.ONLINE
    assert device.last_seen is not None


LINES = [
    "<34>1 2026-02-12T10:00:00Z router-1 dnsmasq 42 - - query A example.com",
    "<13>Feb 12 10:00:01 router-1 kernel: link up",
]


def test_logs_are_ingested_with_the_logs_scope(client, core):
    key = _key(core, "router-1", scopes=("logs",))
    answer = client.post("/api/v1/logs/ingest", json={"lines": LINES}, headers={"X-API-Key": key})
    assert answer.status_code == 201, answer.text
    assert answer.json()["stored"] == 2
    with core.db.reader() as session:
        stored = logs.query_logs(session=session, host="router-1").items
    assert {line.source for line in stored} == {"http"}
    assert {line.device_id for line in stored} == {"router-1"}


def test_logs_need_the_logs_scope(client, key):
    answer = client.post("/api/v1/logs/ingest", json={"lines": LINES}, headers={"X-API-Key": key})
    assert answer.status_code == 403
    assert "logs scope" in answer.json()["error"]["message"]


def test_logs_over_the_line_limit_413_and_bad_lines_400(client, core):
    key = _key(core, "router-1", scopes=("logs", "telemetry"))
    headers = {"X-API-Key": key}
    answer = client.post("/api/v1/logs/ingest", json={"lines": ["x"] * 1001}, headers=headers)
    assert answer.status_code == 413
    answer = client.post("/api/v1/logs/ingest", json={"lines": ["ok", 3]}, headers=headers)
    assert answer.status_code == 400
    assert "lines[1]" in answer.json()["error"]["message"]
