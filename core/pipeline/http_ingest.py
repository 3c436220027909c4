"""HTTP ingest (PROTOCOL.md "HTTP"): what the device routes hand over once a device's API
key is verified, stored through the same judge and commit as MQTT.

- ``telemetry``: a v2 envelope (on the device's telemetry topic, so its ``device_id`` must
  be the key's device), or ``{"data": {...numbers...}, "metadata": {...}, "timestamp":
  "..."}``, checked here and handed to the judge as flat JSON (``metadata`` values become
  the device's ``metadata.<key>`` attributes). Bad input is kept as a dead letter with
  source ``http`` and what the device sent, then raised as ``ProtocolError``.
- ``heartbeat``: the device is seen now (online), like any message over MQTT.
- ``logs``: ``{"lines": [...]}``, up to ``MAX_LOG_LINES`` raw syslog lines, parsed like
  the syslog collector's.

Each call is judged and committed in its own write transaction, in the caller's thread,
before it returns: acknowledgements follow commits. Telemetry is committed with
``core.services.ingest.commit_batch`` and HTTP's cumulative counts
(``HTTP_COUNTERS_KEY``, read and written in that same transaction, since several web
workers may ingest at once); each judge-and-commit is observed in ``commit_seconds``
(``warden_ingest_commit_seconds{source="http"}``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlmodel import Session

from core.clock import Clock, to_ms
from core.db import Database
from core.models.deadletter import HEAD_BYTES
from core.pipeline.batch import DeadLetterRow, IngestBatch, IngestCounters, RawMessage
from core.pipeline.batching import keep_raw
from core.pipeline.judge import Judge
from core.pipeline.log_writer import RawLine, parse_line
from core.protocol import ProtocolError, Reason
from core.protocol.checks import load_object
from core.services import device_seq, ingest, logs
from core.timings import Timings

MAX_LOG_LINES = 1000
V2_KEYS = frozenset({"v", "msg_type", "measurements", "seq"})
"""A body with any of these is a v2 envelope; otherwise the ``{data, metadata, timestamp}``
form."""


class RawArchive(Protocol):
    """The raw archive's spool, as HTTP ingest hands it what devices sent."""

    def messages(self, raws: list[RawMessage]) -> None: ...

    def lines(self, raws: list[RawLine]) -> None: ...


@dataclass(frozen=True, slots=True)
class TelemetryStored:
    """What one telemetry request added."""

    messages: int
    """Messages judged new (0 for a duplicate)."""
    readings: int
    duplicates: int
    dead_letters: int


class HttpIngest:
    """HTTP ingest for one process (its ``commit_seconds`` are this process's)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        prefix: str,
        max_payload_bytes: int,
        commit_seconds: Timings | None = None,
        mirror: bool = False,
        archive: RawArchive | None = None,
    ) -> None:
        self._db = db
        self._clock = clock
        self.prefix = prefix
        self.max_payload_bytes = max_payload_bytes
        self.commit_seconds = commit_seconds or Timings()
        self.mirror = mirror
        self.archive = archive
        """Hands every body, as received, to the raw archive's spool (``WARDEN_S3_URL``)."""
        """Whether stored readings join the InfluxDB mirror's outbox."""

    def telemetry(
        self, device_id: str, payload: bytes, *, size: int | None = None
    ) -> TelemetryStored:
        """Judge and commit one message of ``device_id``. ``size`` is the body's size when
        ``payload`` is only its head (a body over ``max_payload_bytes`` is not read to the
        end). Raises ``ProtocolError`` once the message is kept as a dead letter."""
        size = len(payload) if size is None else size
        started = self._clock.monotonic()
        raw = RawMessage(
            topic=f"{self.prefix}/{device_id}/telemetry",
            payload=payload,
            received_ms=to_ms(self._clock.now()),
            source="http",
        )
        if self.archive is not None:
            keep_raw(self.archive.messages, [raw])
        with self._db.writer() as session:
            device_seq.lock_devices(session=session, device_ids=[device_id])  # other agents
            batch = self._judged(session, raw, device_id, size)
            counters = IngestCounters.from_json(
                ingest.load_counters(session=session, key=ingest.HTTP_COUNTERS_KEY)
            ).plus(batch, received=1)
            ingest.commit_batch(
                session=session,
                batch=batch,
                series_cache=ingest.SeriesCache(),
                now=self._clock.now(),
                counters=counters.to_json(),
                counters_key=ingest.HTTP_COUNTERS_KEY,
                mirror=self.mirror,
            )
        self.commit_seconds.observe(self._clock.monotonic() - started)
        if batch.dead_letters:
            dead = batch.dead_letters[0]
            raise ProtocolError(Reason(dead.reason), dead.detail)
        return TelemetryStored(
            messages=batch.messages,
            readings=len(batch.readings),
            duplicates=batch.duplicates,
            dead_letters=0,
        )

    def _judged(self, session: Session, raw: RawMessage, device_id: str, size: int) -> IngestBatch:
        batch = IngestBatch()
        if size > self.max_payload_bytes:
            detail = f"payload is {size} bytes, over the {self.max_payload_bytes} allowed"
            error = ProtocolError(Reason.TOO_LARGE, detail)
            batch.dead_letters.append(
                replace(DeadLetterRow.from_error(raw, error, HEAD_BYTES), size=size)
            )
            return batch
        try:
            message = self._for_judge(raw, device_id)
        except ProtocolError as error:
            batch.dead_letters.append(DeadLetterRow.from_error(raw, error, HEAD_BYTES))
            return batch
        judge = Judge(
            prefix=self.prefix,
            max_payload_bytes=self.max_payload_bytes,
            load_seq=lambda d: ingest.load_seq_state(session=session, device_id=d),
        )
        judge.add(message, batch)
        # Keep what the device sent, not the form the judge read.
        batch.dead_letters = [
            replace(d, size=len(raw.payload), head=raw.payload[:HEAD_BYTES])
            for d in batch.dead_letters
        ]
        return batch

    def _for_judge(self, raw: RawMessage, device_id: str) -> RawMessage:
        """A v2 envelope as sent, or the ``{data, metadata, timestamp}`` form checked here
        and handed over as flat JSON on the device's data topic."""
        obj = load_object(raw.payload)
        if V2_KEYS & obj.keys():
            return raw
        flat: dict[str, Any] = {"data": _data(obj.get("data"), "data")}
        if obj.get("timestamp") is not None:
            flat["timestamp"] = obj["timestamp"]
        flat["metadata"] = _metadata(obj.get("metadata"))
        return RawMessage(
            topic=f"{self.prefix}/{device_id}/data",
            payload=json.dumps(flat).encode(),
            received_ms=raw.received_ms,
            source="http",
        )

    def heartbeat(self, device_id: str) -> int:
        """Mark the device seen now (online); returns when, in epoch milliseconds."""
        seen_ms = to_ms(self._clock.now())
        batch = IngestBatch()
        sighting = batch.sighting(device_id)
        sighting.last_seen_ms = seen_ms
        sighting.live = True
        with self._db.writer() as session:
            device_seq.lock_devices(session=session, device_ids=[device_id])
            ingest.commit_batch(
                session=session,
                batch=batch,
                series_cache=ingest.SeriesCache(),
                now=self._clock.now(),
            )
        return seen_ms

    def logs(self, payload: bytes, *, address: str | None) -> logs.LogBatchResult:
        """Store the lines of a ``{"lines": [...]}`` body sent from ``address``. Raises
        ``ProtocolError`` for a body that is not that (``TOO_LARGE`` over
        ``MAX_LOG_LINES`` lines), having stored nothing."""
        lines = _log_lines(payload)
        if len(lines) > MAX_LOG_LINES:
            raise ProtocolError(
                Reason.TOO_LARGE, f"{len(lines)} lines, at most {MAX_LOG_LINES} per request"
            )
        received_ms = to_ms(self._clock.now())
        raws = [RawLine(line.encode("utf-8"), received_ms, "http", address) for line in lines]
        if self.archive is not None:
            keep_raw(self.archive.lines, raws)
        parsed = [parse_line(raw) for raw in raws]
        with self._db.writer() as session:
            return logs.ingest_batch(session=session, lines=parsed)


def _data(value: Any, path: str) -> dict[str, Any]:
    if value is None and path == "data":
        raise ProtocolError(Reason.MISSING_FIELD, "data is missing")
    if type(value) is not dict:
        raise _wrong(path, "an object of numbers", value)
    for key, item in value.items():
        where = f"{path}.{key}"
        if type(item) is dict:
            _data(item, where)
        elif type(item) not in (int, float, bool):
            raise _wrong(where, "a number", item)
    return value


def _metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if type(value) is not dict:
        raise _wrong("metadata", "an object", value)
    out = {}
    for key, item in value.items():
        if type(item) is str:
            out[key] = item
        elif type(item) in (int, float, bool):
            out[key] = json.dumps(item)
        elif item is not None:
            raise _wrong(f"metadata.{key}", "a string, number or boolean", item)
    return out


def _log_lines(payload: bytes) -> list[str]:
    obj = load_object(payload)
    lines = obj.get("lines")
    if lines is None:
        raise ProtocolError(Reason.MISSING_FIELD, "lines is missing")
    if type(lines) is not list:
        raise _wrong("lines", "a list of strings", lines)
    for i, line in enumerate(lines):
        if type(line) is not str:
            raise _wrong(f"lines[{i}]", "a string", line)
    return lines


def _wrong(field: str, expected: str, value: Any) -> ProtocolError:
    shown = json.dumps(value)
    shown = shown if len(shown) <= 40 else shown[:39] + "…"
    return ProtocolError(Reason.WRONG_TYPE, f"{field} must be {expected}, not {shown}")
