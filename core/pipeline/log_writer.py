"""The log writer: syslog listeners hand raw datagrams and frames to a bounded queue (they
block when it is full); one thread parses them and stores them in batches, with the same
discipline as the telemetry writer."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from core.db import Database
from core.pipeline.batching import BatchWriter
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


def parse_line(raw: RawLine) -> logs.LogLine:
    """A received line as the log store takes it (the syslog collector and HTTP ingest)."""
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


class LogWriter(BatchWriter[RawLine]):
    thread_name = "log-writer"

    def __init__(
        self,
        db: Database,
        *,
        max_batch: int = 2000,
        max_delay_s: float = 0.1,
        queue_size: int = 20_000,
    ) -> None:
        super().__init__(max_batch=max_batch, max_delay_s=max_delay_s, queue_size=queue_size)
        self._db = db
        self.stored = 0

    def _handle(self, raws: list[RawLine]) -> None:
        lines = [parse_line(raw) for raw in raws]
        while True:
            try:
                with self._db.writer() as session:
                    result = logs.ingest_batch(session=session, lines=lines)
                self.stored += result.stored
                return
            except SQLAlchemyError as exc:
                log.error("storing %d log lines failed, retrying: %s", len(lines), exc)
                if self._stop.wait(RETRY_S):
                    return
