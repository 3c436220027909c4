"""The log writer: syslog listeners hand raw datagrams and frames to a bounded queue (they
block when it is full); one thread parses them and stores them in batches, with the same
discipline as the telemetry writer."""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from core.db import Database
from core.pipeline.batching import take_batch
from core.services import logs
from core.syslog import parse_syslog

log = logging.getLogger(__name__)

RETRY_S = 1.0


@dataclass(slots=True)
class RawLine:
    data: bytes
    received_ms: int
    source: str
    """``udp``, ``tcp`` or ``http``."""
    source_ip: str | None


class LogWriter:
    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = 2000,
        max_delay_s: float = 0.1,
        queue_size: int = 20_000,
    ) -> None:
        self._db = db
        self._queue: queue.Queue[RawLine] = queue.Queue(maxsize=queue_size)
        self._max_batch = max_batch
        self._max_delay_s = max_delay_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stored = 0
        self.idle = threading.Event()
        self.idle.set()

    def submit(self, line: RawLine) -> None:
        """Queue a raw line; blocks while the queue is full (back-pressure)."""
        self.idle.clear()
        self._queue.put(line)

    @property
    def queue_depth(self) -> int:
        return self._queue.qsize()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            raws = take_batch(self._queue, max_items=self._max_batch, max_delay_s=self._max_delay_s)
            if not raws:
                if self._queue.empty():
                    self.idle.set()
                if self._stop.is_set():
                    return
                continue
            lines = [self._parse(raw) for raw in raws]
            while True:
                try:
                    with self._db.writer() as session:
                        result = logs.ingest_batch(session=session, lines=lines)
                    self.stored += result.stored
                    break
                except SQLAlchemyError as exc:
                    log.error("storing %d log lines failed, retrying: %s", len(lines), exc)
                    if self._stop.wait(RETRY_S):
                        return
            if self._queue.empty():
                self.idle.set()

    @staticmethod
    def _parse(raw: RawLine) -> logs.LogLine:
        record = parse_syslog(raw.data, received_ms=raw.received_ms)
        return logs.LogLine(
            ts_ms=record.ts_ms,
            received_ms=raw.received_ms,
            source=raw.source,
            source_ip=raw.source_ip,
            host=record.host,
            app=record.app,
            pid=record.pid,
            facility=record.facility,
            severity=record.severity,
            log_class=str(record.log_class),
            message=record.message,
            structured=record.structured_data,
            truncated=record.truncated,
        )
