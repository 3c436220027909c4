"""HTTP ingest without the web: each call is judged and committed once, with HTTP's own
counts and commit timings; what it refuses is kept as a dead letter before it says so."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from core.models import DeadLetter
from core.pipeline.http_ingest import MAX_LOG_LINES, HttpIngest
from core.protocol import ProtocolError, Reason
from core.services import ingest, logs


@pytest.fixture
def core(any_core):
    """Every test here on SQLite and on PostgreSQL (judged under the devices' locks)."""
    return any_core


@pytest.fixture
def http(core) -> HttpIngest:
    return HttpIngest(core.db, core.clock, prefix="iot", max_payload_bytes=1024)


def _dead(core) -> list[DeadLetter]:
    with core.db.reader() as session:
        return list(session.exec(select(DeadLetter)))


def test_a_reading_is_stored_counted_and_timed_once(core, http):
    stored = http.telemetry("meter-1", json.dumps({"data": {"t": 21.5}}).encode())
    assert (stored.messages, stored.readings, stored.dead_letters) == (1, 1, 0)
    with core.db.reader() as session:
        counts = ingest.load_counters(session=session, key=ingest.HTTP_COUNTERS_KEY)
        mqtt_counts = ingest.load_counters(session=session)
    assert (counts["received"], counts["stored_measurements"], counts["batches"]) == (1, 1, 1)
    assert mqtt_counts == {}  # the MQTT writer's counts are its own
    assert http.commit_seconds.snapshot()["count"] == 1


def test_a_refused_body_is_kept_and_counted_before_the_error(core, http):
    with pytest.raises(ProtocolError) as refused:
        http.telemetry("meter-1", b'{"data": {"t": "warm"}}')
    assert refused.value.reason is Reason.WRONG_TYPE
    assert "data.t" in refused.value.detail
    [dead] = _dead(core)
    assert (dead.source, dead.reason, dead.head) == (
        "http",
        "wrong_type",
        b'{"data": {"t": "warm"}}',
    )
    with core.db.reader() as session:
        counts = ingest.load_counters(session=session, key=ingest.HTTP_COUNTERS_KEY)
    assert counts["dead_letters"] == {"wrong_type": 1}
    assert http.commit_seconds.snapshot()["count"] == 1


def test_a_body_over_the_limit_is_kept_with_its_real_size(core, http):
    with pytest.raises(ProtocolError) as refused:
        http.telemetry("meter-1", b'{"data": ', size=5000)
    assert refused.value.reason is Reason.TOO_LARGE
    [dead] = _dead(core)
    assert (dead.reason, dead.size, dead.head) == ("too_large", 5000, b'{"data": ')


def test_too_many_log_lines_store_nothing(core, http):
    body = json.dumps({"lines": ["<13>Feb 12 10:00:01 r1 kernel: up"] * (MAX_LOG_LINES + 1)})
    with pytest.raises(ProtocolError) as refused:
        http.logs(body.encode(), address="10.0.0.9")
    assert refused.value.reason is Reason.TOO_LARGE
    with core.db.reader() as session:
        assert logs.last_log_id(session=session) == 0
    result = http.logs(
        json.dumps({"lines": ["<13>Feb 12 10:00:01 r1 kernel: up"]}).encode(), address=None
    )
    assert result.stored == 1
