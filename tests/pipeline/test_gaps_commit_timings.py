"""The writer times every batch it commits (judge and commit), for
``warden_ingest_commit_seconds{source="mqtt"}``; a failed commit is not a commit."""

from __future__ import annotations

import json
import threading

from sqlalchemy.exc import OperationalError

from core.pipeline.batch import RawMessage
from core.pipeline.writer import IngestWriter
from core.timings import Timings


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


def test_a_failed_commit_is_not_observed(core, monkeypatch):
    writer = make_writer(core)
    real_commit = writer._commit
    failures = iter([True])

    def flaky(batch, received):
        if next(failures, False):
            raise OperationalError("INSERT", {}, Exception("disk I/O error"))
        real_commit(batch, received)

    monkeypatch.setattr(writer, "_commit", flaky)
    monkeypatch.setattr("core.pipeline.writer.RETRY_MIN_S", 0.0)
    done = threading.Event()
    writer.start()
    try:
        _submit(writer, [0], done)
        assert done.wait(15)
    finally:
        writer.stop()
    assert writer.counters.commit_failures == 1
    assert writer.commit_seconds.snapshot()["count"] == 1


def test_timings_are_cumulative_buckets():
    timings = Timings((0.01, 0.1, 1.0))
    for seconds in (0.005, 0.05, 0.5, 5.0):
        timings.observe(seconds)
    assert timings.snapshot() == {
        "buckets": {"0.01": 1, "0.1": 2, "1.0": 3},
        "sum": 5.555,
        "count": 4,
    }
