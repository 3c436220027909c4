"""How long the ingest writer holds SQLite's write lock on a slow disk, and how long a
scheduled job waits for it meanwhile.

``python -m benchmarks.slow_disk DIR [--messages N] [--unbounded]`` queues N telemetry
messages of 10 measurements (a backlog, as after a broker reconnect), lets one
``IngestWriter`` commit them into a database in DIR, while a job commits a small write every
half second. Prints JSON: the longest lock hold of the writer, its transactions, the job's
longest wait and its failures. ``--unbounded`` sizes transactions by count only (5 000
messages, as before the time bound). DIR is meant to be on a throttled disk (docs/backups.md
says how the figures there were made: a loop device under a blkio throttle).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy.exc import OperationalError

from core.clock import SystemClock
from core.db import Database
from core.pipeline.batch import RawMessage
from core.pipeline.writer import IngestWriter
from core.protocol import Measurement, Telemetry, encode
from core.services import runtime

T0 = 1_770_890_400_000


def _payload(device: int, seq: int) -> bytes:
    ts = T0 + seq * 1000
    return encode(
        Telemetry(
            device_id=f"meter-{device:03d}",
            ts_ms=ts,
            seq=seq,
            measurements=tuple(
                Measurement(metric=f"m{i}", ts_ms=ts, value=seq + i / 10, unit=None)
                for i in range(10)
            ),
        )
    )


def run(directory: Path, *, messages: int, unbounded: bool) -> dict[str, object]:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "warden.db"
    with tempfile.TemporaryDirectory() as fast:  # migrate where it is quick, then copy
        made = Database(f"sqlite:///{fast}/warden.db")
        made.migrate()
        made.dispose()
        shutil.copyfile(Path(fast) / "warden.db", path)
    db = Database(f"sqlite:///{path}", lock_wait_s=0 if unbounded else 300)
    writer = IngestWriter(
        db,
        prefix="iot",
        max_payload_bytes=262_144,
        max_batch=5000,
        max_lock_s=1e9 if unbounded else 1.0,
    )
    if unbounded:
        writer.sizer.limit = 5000
    done = threading.Event()
    acked = 0

    def ack() -> None:
        nonlocal acked
        acked += 1
        if acked == messages:
            done.set()

    for seq in range(messages):
        device = seq % 100
        writer.submit(
            RawMessage(
                topic=f"iot/meter-{device:03d}/telemetry",
                payload=_payload(device, seq // 100),
                received_ms=T0 + seq,
                ack=ack,
            )
        )
    waits: list[float] = []
    failures = 0

    def job() -> None:
        nonlocal failures
        clock = SystemClock()
        while not done.wait(0.5):
            started = time.monotonic()
            try:
                with db.writer() as session:
                    runtime.put_state(session=session, key="bench.job", value={}, now=clock.now())
            except OperationalError:
                failures += 1
            waits.append(time.monotonic() - started)

    started = time.monotonic()
    writer.start()
    jobs = threading.Thread(target=job, daemon=True)
    jobs.start()
    done.wait()
    elapsed = time.monotonic() - started
    writer.stop()
    jobs.join(60)
    db.dispose()
    return {
        "bench": "slow_disk",
        "mode": "count only (5 000)" if unbounded else "time-bounded (1 s)",
        "messages": messages,
        "seconds": round(elapsed, 1),
        "transactions": writer.counters.batches,
        "longest_lock_s": round(writer.longest_lock_s, 2),
        "job_runs": len(waits),
        "job_longest_wait_s": round(max(waits, default=0.0), 2),
        "job_failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--unbounded", action="store_true")
    args = parser.parse_args()
    print(json.dumps(run(args.directory, messages=args.messages, unbounded=args.unbounded)))


if __name__ == "__main__":
    main()
