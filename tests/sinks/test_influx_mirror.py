"""The InfluxDB mirror against a real server speaking InfluxDB's write API: every stored
reading arrives once, an outage or a refusal loses nothing and does not stop ingest, a
crash between the write and forgetting the batch writes nothing twice, and the health
finding opens while it fails and resolves when it recovers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from collectors.sinks.influx_mirror import InfluxMirror
from core.config import load_settings
from core.models import Device, Finding, MirrorPending
from core.pipeline.http_ingest import HttpIngest
from core.runtime import Core, open_core
from core.services import mirror
from tests.conftest import _free_port
from tests.sinks.conftest import HOST

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def make_core(data_dir):
    opened: list[Core] = []

    def make(influx_url: str, **extra) -> Core:
        settings = load_settings(
            data_dir=data_dir, influx_url=influx_url, influx_batch_points=100, **extra
        )
        core = open_core(settings)
        opened.append(core)
        return core

    yield make
    for core in opened:
        core.close()


def _send(core: Core, messages: int, *, first: int = 0) -> int:
    """``messages`` HTTP telemetry messages of 3 readings each from 2 devices; returns the
    readings stored."""
    http = HttpIngest(core.db, core.clock, prefix="iot", max_payload_bytes=4096, mirror=True)
    stored = 0
    for n in range(first, first + messages):
        at = (START + timedelta(seconds=n)).isoformat()
        body = {"data": {"voltage": 230 + n % 7, "current": n / 10, "temp": 20.5}, "timestamp": at}
        stored += http.telemetry(f"pm-{n % 2}", json.dumps(body).encode()).readings
    return stored


def _drain(sink: InfluxMirror) -> None:
    for _ in range(1000):
        if not sink.send_once():
            return
    raise AssertionError("the mirror never ran out of work")


def _pending(core: Core) -> int:
    with core.db.reader() as session:
        return session.exec(select(func.count()).select_from(MirrorPending)).one()


def _samples(victoria) -> int:
    return sum(len(s) for s in victoria.export().values())


def test_every_stored_reading_reaches_the_mirror_once(make_core, victoria_factory):
    victoria = victoria_factory()
    core = make_core(victoria.url)
    stored = _send(core, 2)
    with core.db.writer() as session:
        meter = session.get(Device, "pm-1")
        meter.type, meter.location = "power_meter", "garage"
        session.add(meter)
        session.commit()
    stored += _send(core, 248, first=2)
    sink = InfluxMirror(core.db, core.clock, core.settings)
    try:
        _drain(sink)
    finally:
        sink.stop()
    series = victoria.export()
    assert _samples(victoria) == stored == 750
    assert _pending(core) == 0
    # measurement = device type, one field per metric, tags device (and location)
    voltage = 'power_meter_voltage{"device": "pm-1", "location": "garage"}'
    assert 'unknown_voltage{"device": "pm-0"}' in series
    ts = int((START + timedelta(seconds=1)).timestamp() * 1000)
    assert series[voltage][ts] == 231
    assert sink.state.sent == 750 and sink.state.failing_since_ms is None


def test_an_outage_loses_nothing_and_the_backlog_is_sent_when_it_returns(
    make_core, victoria_factory
):
    port = _free_port(HOST)
    core = make_core(f"http://{HOST}:{port}")
    sink = InfluxMirror(core.db, core.clock, core.settings)
    try:
        stored = _send(core, 100)
        assert sink.send_once() is False  # nothing listens: the batch waits
        assert sink.state.errors == {"unreachable": 1}
        assert sink.state.failing_since_ms is not None
        stored += _send(core, 100, first=100)  # ingest goes on meanwhile
        assert _pending(core) == 200
        with core.db.reader() as session:
            [state] = mirror.sink_states(session=session)
        assert state.pending == 100 and state.last_error.startswith("unreachable")

        victoria = victoria_factory(port)
        _drain(sink)
    finally:
        sink.stop()
    assert _samples(victoria) == stored == 600
    assert _pending(core) == 0
    assert sink.state.failing_since_ms is None


def test_a_crash_after_the_write_sends_the_batch_again_without_a_second_copy(
    make_core, victoria_factory, monkeypatch
):
    victoria = victoria_factory()
    core = make_core(victoria.url)
    stored = _send(core, 40)
    sink = InfluxMirror(core.db, core.clock, core.settings)
    real_forget = sink._forget

    def crash(batch_ids):  # the process dies between the write and forgetting the batch
        raise SystemExit("killed")

    monkeypatch.setattr(sink, "_forget", crash)
    with pytest.raises(SystemExit):
        sink.send_once()
    assert _pending(core) == 40  # nothing was forgotten
    monkeypatch.setattr(sink, "_forget", real_forget)
    try:
        _drain(sink)
    finally:
        sink.stop()
    assert _samples(victoria) == stored  # written twice, stored once (same series and time)


def test_a_wrong_token_is_said_as_unauthorized_and_nothing_is_dropped(make_core, victoria_factory):
    victoria = victoria_factory(auth=True)
    core = make_core(victoria.url, influx_token="wrong-token")
    _send(core, 5)
    sink = InfluxMirror(core.db, core.clock, core.settings)
    try:
        assert sink.send_once() is False
    finally:
        sink.stop()
    assert sink.state.errors == {"unauthorized": 1}
    assert sink.state.last_error.startswith("unauthorized: HTTP 401")
    assert _pending(core) == 5


def test_the_health_finding_opens_while_the_mirror_fails_and_resolves_after(
    make_core, victoria_factory
):
    from collectors.rule_runner import RuleRunner
    from tests.factories import FakeClock
    from warden.catalog import sync_catalog

    port = _free_port(HOST)
    core = make_core(f"http://{HOST}:{port}", sink_alert_after_s=60)
    clock = FakeClock(START)
    sink = InfluxMirror(core.db, clock, core.settings)
    sync_catalog(core)
    limit = core.settings.sink_alert_after_s

    def measures() -> dict[str, float]:
        return {"sinks_failing": float(sink.failing_for_s() > limit)}

    rules = RuleRunner(core.db, None, clock, measures=measures)
    try:
        _send(core, 3)
        sink.send_once()
        clock.advance(30)
        rules.run_system()
        assert _open(core) == []  # failing, but not for long yet
        clock.advance(60)
        rules.run_system()
        assert _open(core) == ["health.sink-failing"]

        victoria_factory(port)
        _drain(sink)
        rules.run_system()
        assert _open(core) == []
    finally:
        sink.stop()


def _open(core: Core) -> list[str]:
    with core.db.reader() as session:
        return [
            f.rule_id
            for f in session.exec(select(Finding).where(Finding.status != "resolved")).all()
        ]
