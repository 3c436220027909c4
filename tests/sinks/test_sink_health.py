"""Where an operator sees a sink's health: /metrics, /readyz (as detail: a failing sink
never makes Warden unready) and `warden stats`, all from the state the sink publishes."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from core.clock import to_ms
from core.models import SinkState
from core.runtime import open_core
from core.services import mirror, runtime
from tests.cli.conftest import Warden
from tests.factories import FakeClock
from web.api import ops

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _publish(core, clock) -> None:
    state = SinkState(
        name="influx",
        pending=12,
        lag_s=95.0,
        sent=300,
        last_success_ms=to_ms(NOW) - 100_000,
        failing_since_ms=to_ms(NOW) - 90_000,
        last_error="unreachable: Connection refused",
        errors={"unreachable": 7},
        at_ms=to_ms(NOW),
    )
    with core.db.writer() as session:
        mirror.publish_state(session=session, state=state, now=clock.now())
        runtime.put_state(
            session=session,
            key=runtime.AGENT_KEY,
            value={"brokers": [{"url": "mqtt://b", "connected": True}], "syslog": None},
            now=clock.now(),
        )


def test_metrics_and_readyz_carry_the_sink_state(settings):
    clock = FakeClock(NOW)
    core = open_core(settings, clock=clock)
    try:
        _publish(core, clock)
        app = FastAPI()
        app.state.core = core
        app.state.agent = None
        app.include_router(ops.router)
        with TestClient(app) as client:
            ready = client.get("/readyz")
            metrics = client.get("/metrics").text
    finally:
        core.close()
    assert ready.status_code == 200  # the sink fails, Warden still takes data in
    assert ready.json()["sinks"]["influx"] == {
        "pending": 12,
        "lag_s": 95.0,
        "failing_for_s": 90.0,
        "last_error": "unreachable: Connection refused",
    }
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(metrics)
        for s in family.samples
    }
    sink = (("sink", "influx"),)
    assert samples[("warden_sink_pending", sink)] == 12
    assert samples[("warden_sink_failing_seconds", sink)] == 90
    assert samples[("warden_sink_errors_total", (("kind", "unreachable"), *sink))] == 7


def test_warden_stats_says_the_sink_is_failing(settings, data_dir):
    clock = FakeClock(NOW)
    core = open_core(settings, clock=clock)
    try:
        _publish(core, clock)
    finally:
        core.close()
    result = Warden(data_dir)("stats")
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.output.splitlines() if line.startswith("sink influx")]
    assert "12 batch(es) waiting" in line
    assert "FAILING" in line and "unreachable: Connection refused" in line
