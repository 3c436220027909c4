"""Several ingest writers on one database, as separate agents would run them: each with
its own ``Database`` (its own connections) and its own name; in threads of this process or
in processes of their own (``agent_process``)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from sqlmodel import func, select

from core.clock import to_ms
from core.db import Database
from core.models import Device, DeviceSeq, Reading, Series
from core.pipeline.batch import RawMessage
from core.pipeline.writer import IngestWriter
from core.protocol import SeqState
from core.services.ingest import load_counters
from tests.cluster.seq_script import PREFIX, Sent

WAIT_S = 60.0
TOTALS = ("received", "stored_messages", "stored_measurements", "duplicates", "missing")
"""The pipeline counters that do not depend on arrival order or batch sizes."""


class Countdown:
    """Acknowledgements still to come; ``wait`` returns False when they did not all come
    within the time given."""

    def __init__(self, count: int) -> None:
        self._left = count
        self._cond = threading.Condition()

    def done(self) -> None:
        with self._cond:
            self._left -= 1
            self._cond.notify_all()

    def wait(self, timeout: float = WAIT_S) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._left <= 0, timeout)


def make_writer(url: str, name: str) -> IngestWriter:
    return IngestWriter(
        Database(url),
        prefix=PREFIX,
        max_payload_bytes=262_144,
        max_delay_s=0.01,
        agent_name=name,
    )


def submit(writer: IngestWriter, sent: Sequence[Sent], countdown: Countdown) -> None:
    for message in sent:
        writer.submit(
            RawMessage(
                topic=message.topic,
                payload=message.payload,
                received_ms=message.received_ms,
                ack=countdown.done,
            )
        )


def single_writer_outcome(url: str, phases: list[list[Sent]]) -> dict[str, Any]:
    """What one writer makes of the input, fed in order."""
    Database(url).migrate()
    writer = make_writer(url, "single")
    writer.start()
    everything = [m for phase in phases for m in phase]
    countdown = Countdown(len(everything))
    submit(writer, everything, countdown)
    assert countdown.wait()
    writer.stop()
    return outcome(url)


def outcome(url: str, *, with_gap_events: bool = False) -> dict[str, Any]:
    """Everything stored that does not depend on arrival order: per device its boots,
    duplicates, missing, suspects, readings and last sighting; the summed counters."""
    db = Database(url)
    with db.reader() as session:
        per_device: dict[str, dict[str, Any]] = {}
        for row in session.exec(select(DeviceSeq)):
            state = SeqState.from_json(row.state)
            per_device[row.device_id] = {
                "boot": state.boot,
                "duplicates": state.duplicates,
                "missing": state.missing,
                "suspects": state.suspects,
            }
            if with_gap_events:
                per_device[row.device_id]["gaps"] = state.gaps
        readings = session.exec(
            select(Series.device_id, func.count())
            .join(Reading, Reading.series_id == Series.id)  # type: ignore[arg-type]
            .group_by(Series.device_id)
        )
        for device_id, count in readings:
            per_device[device_id]["readings"] = count
        for device in session.exec(select(Device)):
            per_device[device.id]["last_seen_ms"] = to_ms(device.last_seen)
        counters = load_counters(session=session)
    db.dispose()
    return {"devices": per_device, "totals": {k: counters.get(k) for k in TOTALS}}
