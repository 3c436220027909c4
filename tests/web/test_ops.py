"""Operations endpoints: health, readiness and Prometheus metrics."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from core.models import Actor, Origin, Role
from core.services import apikeys, runtime
from tests.factories import EPOCH_2026, make_device
from web.api import device_routes, ops


def _app(core, agent=None):
    app = FastAPI()
    app.state.core = core
    app.state.agent = agent
    app.include_router(ops.router)
    app.include_router(device_routes.router, prefix="/api/v1")
    return app


@pytest.fixture
def client(core):
    with TestClient(_app(core)) as client:
        yield client


def _heartbeat(core, *, connected=True):
    with core.db.writer() as session:
        runtime.put_state(
            session=session,
            key=runtime.AGENT_KEY,
            value={"brokers": [{"url": "mqtt://127.0.0.1:1883", "connected": connected}]},
            now=core.clock.now(),
        )


def _samples(text):
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_ready_with_the_database_and_the_agent_heartbeat(client, core):
    _heartbeat(core)
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    checks = answer.json()["checks"]
    assert checks["database"]["ok"]
    assert checks["collectors"]["source"] == "agent heartbeat"


def test_not_ready_without_a_connected_collector(client, core):
    assert client.get("/readyz").status_code == 503  # no agent ever ran
    _heartbeat(core, connected=False)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["collectors"]["detail"].startswith("no broker connected")


def test_an_agent_in_this_process_is_asked_directly(core):
    brokers = [{"url": "mqtt://a", "connected": True}, {"url": "mqtt://b", "connected": False}]
    agent = SimpleNamespace(
        collector=SimpleNamespace(broker_states=lambda: brokers),
        state=lambda: {"brokers": brokers, "queue_depth": 7, "log_queue_depth": 0},
    )
    with TestClient(_app(core, agent)) as client:
        answer = client.get("/readyz")
        assert answer.status_code == 200
        collectors = answer.json()["checks"]["collectors"]
        assert collectors["source"] == "in-process agent"
        assert "not connected to mqtt://b" in collectors["detail"]
        samples = _samples(client.get("/metrics").text)
    assert samples[("warden_ingest_queue_depth", (("queue", "telemetry"),))] == 7


def test_not_ready_when_the_database_is_gone(core, data_dir):
    with TestClient(_app(core)) as client:
        core.db.dispose()
        shutil.rmtree(data_dir)
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.json()["checks"]["database"]["ok"] is False
        metrics = _samples(client.get("/metrics").text)
    assert metrics[("warden_database_up", ())] == 0


def test_metrics_parse_and_move_with_http_ingest(client, core):
    def value(name, **labels):
        return _samples(client.get("/metrics").text).get((name, tuple(sorted(labels.items()))), 0)

    stored = {"source": "http", "result": "stored"}
    assert value("warden_ingest_messages_total", **stored) == 0
    with core.db.writer() as session:
        make_device(session, id="meter-1")
        admin = Actor(name="a", origin=Origin.API, role=Role.ADMIN)
        _, key = apikeys.create_key(
            session=session, device_id="meter-1", actor=admin, now=EPOCH_2026
        )
    answer = client.post(
        "/api/v1/devices/telemetry", json={"data": {"t": 1}}, headers={"X-API-Key": key}
    )
    assert answer.status_code == 201
    client.post("/api/v1/devices/telemetry", content=b"nope", headers={"X-API-Key": key})
    assert value("warden_ingest_messages_total", **stored) == 1
    assert value("warden_dead_letters_total", source="http", reason="not_json") == 1
    assert value("warden_devices", status="online") == 1
    assert value("warden_ingest_commit_seconds_count", source="http") == 2
    assert value("warden_login_failures_total") == 0
    assert value("warden_database_up") == 1


def test_metrics_carry_the_apply_latency_and_drift_repairs_of_the_reconciler(client, core):
    from core.services import intents
    from enforcement.reconciler import Reconciler
    from tests.enforcement.fakes import FakeFirewall, FakeShaper
    from tests.factories import FakeClock, actor

    clock = FakeClock()
    with core.db.writer() as session:
        make_device(session, id="cam-1", type="camera", ip="10.0.0.9")
        intents.submit(
            session=session, text="block cam-1", actor=actor(), now=clock.now(), features=None
        )
    rec = Reconciler(
        core.db,
        clock,
        shaper=FakeShaper(),
        firewall=FakeFirewall(),
        link_rate_bps=10**8,
    )
    rec.reconcile()  # restores/applies: not drift
    rec.firewall.clear()  # someone flushed the table by hand
    rec.reconcile()
    samples = _samples(client.get("/metrics").text)
    assert samples[("warden_enforcement_apply_seconds_count", ())] == 2
    assert samples[("warden_enforcement_apply_seconds_bucket", (("le", "+Inf"),))] == 2
    assert samples[("warden_enforcement_drift_repairs_since_start_total", ())] == 1
    assert samples[("warden_enforcement_drift_repairs", ())] == 1
