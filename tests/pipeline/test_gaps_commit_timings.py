"""The writer times every batch it commits (judge and commit), for
``warden_ingest_commit_seconds{source="mqtt"}``; a failed commit is not a commit."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from core.pipeline.batch import RawMessage
from core.pipeline.writer import IngestWriter


@pytest.fixture
def core(any_core):
    """Every test here on SQLite and on PostgreSQL (judged under the devices' locks)."""
    return any_core


def make_writer(core, **kwargs) -> IngestWriter:
    return IngestWriter(
        core.db, prefix="iot", max_payload_bytes=262_144, clock=core.clock, **kwargs
    )


def telemetry(seq: int) -> bytes:
    return json.dumps(
        {
            "v": 2,
            "device_id": "dc-meter-001",
            "ts": f"2026-02-12T10:00:{seq:02d}Z",
            "seq": seq,
            "msg_type": "telemetry",
            "measurements": [{"type": "voltage_dc", "val": 700.0 + seq, "unit": "V"}],
        }
    ).encode()


def _submit(writer, seqs, done: threading.Event) -> None:
    remaining = set(seqs)

    def acked(seq: int) -> None:
        remaining.discard(seq)
        if not remaining:
            done.set()

    for seq in seqs:
        writer.submit(
            RawMessage(
                topic="iot/dc-meter-001/telemetry",
                payload=telemetry(seq),
                received_ms=1_770_890_400_000 + seq,
                ack=lambda seq=seq: acked(seq),
            )
        )


def test_each_committed_batch_is_observed_once(core):
    writer = make_writer(core, max_batch=1)
    assert writer.commit_seconds.snapshot()["count"] == 0
    done = threading.Event()
    writer.start()
    try:
        _submit(writer, range(3), done)
        assert done.wait(15)
    finally:
        writer.stop()
    snapshot = writer.commit_seconds.snapshot()
    assert snapshot["count"] == writer.counters.batches == 3
    assert all(0 <= n <= 3 for n in snapshot["buckets"].values())


def test_a_failed_commit_is_not_observed(core):
    """The database refuses the first batch's first insert (a disk error, injected at the
    database driver's edge): the writer retries, and only the commit that worked counts."""
    failures = iter([True])

    def refuse_once(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT") and next(failures, False):
            raise OperationalError(statement, parameters, Exception("disk I/O error"))

    event.listen(core.db.engine, "before_cursor_execute", refuse_once)
    writer = make_writer(core)
    done = threading.Event()
    writer.start()
    try:
        _submit(writer, [0], done)
        assert done.wait(15)
    finally:
        writer.stop()
        event.remove(core.db.engine, "before_cursor_execute", refuse_once)
    assert next(failures, None) is None  # the injected failure happened
    assert writer.counters.commit_failures == 1
    assert writer.commit_seconds.snapshot()["count"] == 1
