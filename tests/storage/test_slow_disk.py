"""A slow disk: the writer bounds each transaction by the time it holds the write lock,
not only by its count, so no transaction keeps the scheduled jobs waiting for long."""

from __future__ import annotations

import threading

from core.pipeline.batch import RawMessage
from core.services import ingest
from tests.factories import FakeClock
from tests.pipeline.test_writer import make_writer, stored_readings, telemetry

MESSAGES = 3600  # one reading a second for an hour: every one distinct


def test_a_backlog_on_a_disk_that_slows_down_is_committed_in_transactions_of_about_a_second(
    core, monkeypatch
) -> None:
    clock = FakeClock()
    real_commit = ingest.commit_batch
    holds: list[float] = []
    written = 0

    def slow_disk_commit(*, session, batch, **kwargs) -> None:
        # The disk writes a reading in 1 ms at first, then slows to 20 ms a reading (an SD
        # card that started garbage collection): the writer's clock sees the lock held that long.
        nonlocal written
        per_reading = 0.001 if written < 2000 else 0.020
        held = per_reading * len(batch.readings)
        clock.advance(held)
        real_commit(session=session, batch=batch, **kwargs)
        written += len(batch.readings)
        holds.append(held)

    monkeypatch.setattr(ingest, "commit_batch", slow_disk_commit)
    writer = make_writer(core)
    writer._clock = clock
    acked = 0
    all_acked = threading.Event()

    def ack() -> None:
        nonlocal acked
        acked += 1
        if acked == MESSAGES:
            all_acked.set()

    for seq in range(MESSAGES):  # a backlog: everything is queued before the writer starts
        writer.submit(
            RawMessage(
                topic="iot/dc-meter-001/telemetry",
                payload=telemetry(seq),
                received_ms=1_770_890_400_000 + seq,
                ack=ack,
            )
        )
    writer.start()
    assert all_acked.wait(120)
    writer.stop()
    assert stored_readings(core) == MESSAGES
    assert sum(holds) > 20  # the disk really was slow: one transaction would hold it 28 s
    # Only the transaction during which the disk slowed down held the lock for more than a
    # second; every later one was sized to what the disk now does.
    assert sum(h > 1.0 for h in holds) <= 1
    assert max(holds[holds.index(max(holds)) + 1 :]) <= 1.0
    assert writer.limit < 100
