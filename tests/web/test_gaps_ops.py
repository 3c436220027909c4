"""/metrics carries the MQTT writer's commit latency beside the HTTP one, from the agent
in this process or from its heartbeat; collectors the operator disabled are not started,
and /readyz says "disabled" and answers ready."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from collectors.mqtt import MqttCollector
from collectors.syslog import SyslogCollector
from core.config import load_settings
from core.errors import ConfigError
from core.pipeline.batch import RawMessage
from core.runtime import Core, open_core
from core.services import runtime
from tests.factories import FakeClock
from warden.agent import Agent
from web.api.app import create_app

COMMITS = "warden_ingest_commit_seconds_count"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _commits(client: TestClient, source: str) -> float | None:
    return _samples(client.get("/metrics").text).get((COMMITS, (("source", source),)))


@pytest.fixture
def quiet_core(data_dir) -> Iterator[Core]:
    """A Core whose settings switch both collectors off."""
    settings = load_settings(data_dir=data_dir, disabled_collectors="mqtt,syslog")
    opened = open_core(settings, clock=FakeClock())
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def quiet_agent(quiet_core, monkeypatch) -> Iterator[Agent]:
    """A started agent with both collectors disabled; starting one fails the test."""

    def started(*_args):
        raise AssertionError("a disabled collector was started")

    monkeypatch.setattr(MqttCollector, "start", started)
    monkeypatch.setattr(SyslogCollector, "start", started)
    agent = Agent(quiet_core)
    agent.start()
    try:
        yield agent
    finally:
        agent.stop()


def _commit_one(agent: Agent) -> None:
    """One message through the agent's writer, as the MQTT collector hands it over."""
    done = threading.Event()
    payload = {
        "v": 2,
        "device_id": "meter-1",
        "ts": "2026-02-12T10:00:00Z",
        "seq": 1,
        "msg_type": "telemetry",
        "measurements": [{"type": "voltage_dc", "val": 700.0, "unit": "V"}],
    }
    agent.writer.submit(
        RawMessage(
            topic="iot/meter-1/telemetry",
            payload=json.dumps(payload).encode(),
            received_ms=1_770_890_400_000,
            ack=done.set,
        )
    )
    assert done.wait(15), "the writer did not commit"


def test_the_mqtt_commit_latency_moves_on_metrics_after_a_batch(quiet_core, quiet_agent):
    with TestClient(create_app(quiet_core, agent=quiet_agent)) as client:
        assert _commits(client, "mqtt") == 0
        assert _commits(client, "http") == 0
        _commit_one(quiet_agent)
        assert _commits(client, "mqtt") == 1
        assert _commits(client, "http") == 0
        samples = _samples(client.get("/metrics").text)
    bucket = ("warden_ingest_commit_seconds_bucket", (("le", "+Inf"), ("source", "mqtt")))
    assert samples[bucket] == 1


def test_a_separate_web_process_reads_the_mqtt_latency_from_the_heartbeat(quiet_core, quiet_agent):
    _commit_one(quiet_agent)
    quiet_agent.heartbeat()
    with TestClient(create_app(quiet_core)) as client:  # `warden web`: no agent of its own
        assert _commits(client, "mqtt") == 1


def test_disabled_collectors_are_not_started_and_the_agent_is_ready(quiet_core, quiet_agent):
    assert quiet_agent.syslog is None
    assert quiet_agent.scheduler.get_job("commands") is None
    assert quiet_agent.state()["disabled_collectors"] == ["mqtt", "syslog"]
    with TestClient(create_app(quiet_core, agent=quiet_agent)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    collectors = answer.json()["checks"]["collectors"]
    assert collectors["ok"] is True
    assert (collectors["mqtt"], collectors["syslog"]) == ("disabled", "disabled")
    assert collectors["source"] == "in-process agent"


def test_readyz_reads_disabled_collectors_from_the_agent_heartbeat(core):
    with core.db.writer() as session:
        runtime.put_state(
            session=session,
            key=runtime.AGENT_KEY,
            value={
                "brokers": [{"url": "mqtt://127.0.0.1:1883", "connected": False}],
                "disabled_collectors": ["mqtt"],
                "syslog": {"udp": 5514, "tcp": 5514},
            },
            now=core.clock.now(),
        )
    with TestClient(create_app(core)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    collectors = answer.json()["checks"]["collectors"]
    assert (collectors["mqtt"], collectors["syslog"]) == ("disabled", "listening")
    assert collectors["source"] == "agent heartbeat"


def test_readyz_still_waits_for_an_enabled_broker(core):
    with core.db.writer() as session:
        runtime.put_state(
            session=session,
            key=runtime.AGENT_KEY,
            value={
                "brokers": [{"url": "mqtt://127.0.0.1:1883", "connected": False}],
                "disabled_collectors": ["syslog"],
                "syslog": None,
            },
            now=core.clock.now(),
        )
    with TestClient(create_app(core)) as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    collectors = answer.json()["checks"]["collectors"]
    assert (collectors["mqtt"], collectors["syslog"]) == ("not connected", "disabled")


def test_without_an_agent_the_web_processs_own_settings_say_what_is_disabled(quiet_core):
    with TestClient(create_app(quiet_core)) as client:  # no agent has ever run
        answer = client.get("/readyz")
    assert answer.status_code == 200, answer.text
    assert answer.json()["checks"]["collectors"]["mqtt"] == "disabled"


def test_the_disabled_collectors_setting(data_dir, monkeypatch):
    assert load_settings(data_dir=data_dir).collectors_disabled == frozenset()
    listed = load_settings(data_dir=data_dir, disabled_collectors=["MQTT", "syslog"])
    assert listed.collectors_disabled == {"mqtt", "syslog"}
    with pytest.raises(ConfigError, match=r"WARDEN_DISABLED_COLLECTORS.*'ftp' is not a collector"):
        load_settings(data_dir=data_dir, disabled_collectors="mqtt,ftp")
    monkeypatch.setenv("WARDEN_DISABLED_COLLECTORS", "syslog")
    assert load_settings(data_dir=data_dir).collectors_disabled == {"syslog"}
