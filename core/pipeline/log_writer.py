"""The log writer: syslog listeners hand raw datagrams and frames to a bounded queue (they
block when it is full); one thread parses them and stores them in batches, with the same
discipline as the telemetry writer.

What it takes in is bounded twice:

- **per source**, when a limit is given: a token bucket per sender address
  (``SourceLimit``: a sustained rate of lines per second and a burst). A line over the
  limit is dropped before it is queued, counted (in all and by source) and logged: once
  when a source starts being limited, then at most once a minute per source while it goes
  on. At most ``MAX_SOURCES`` addresses get a bucket of their own; beyond that (a flood of
  spoofed UDP senders) the newcomers share one, so memory stays bounded;
- **in bytes**: ``submit`` waits while the queued lines hold ``max_queued_bytes``
  (back-pressure on the listener, not memory growth), as well as while the queue is full.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from core.db import Database
from core.pipeline.batching import BatchWriter, keep_raw
from core.services import logs
from core.syslog import parse_syslog

log = logging.getLogger(__name__)

RETRY_S = 1.0
MAX_SOURCES = 4096
"""Sender addresses with a bucket of their own; the rest share ``OTHERS``."""
OTHERS = "other"
REPORT_EVERY_MS = 60_000
TOP_SOURCES = 10
"""Sources named in ``LogWriterStats.rate_limited_by_source`` (the most limited)."""
MAX_QUEUED_BYTES = 16 * 1024 * 1024


@dataclass(slots=True)
class RawLine:
    data: bytes
    received_ms: int
    source: str
    """``udp``, ``tcp`` or ``http``."""
    source_ip: str | None
    cut: bool = False
    """The listener cut the frame at its size limit: the line is stored as truncated."""


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
        truncated=record.truncated or raw.cut,
    )


@dataclass(frozen=True, slots=True)
class SourceLimit:
    """Lines one sender address may have stored: ``per_second`` sustained, ``burst`` at once."""

    per_second: float
    burst: int


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at_ms: int
    dropped: int = 0
    reported: int = 0
    reported_ms: int | None = None


@dataclass
class SourceLimiter:
    """Token buckets by sender address (see the module docstring). Not thread-safe on its
    own: ``LogWriter.submit`` holds a lock around it."""

    limit: SourceLimit
    buckets: dict[str, _Bucket] = field(default_factory=dict)
    dropped: int = 0
    dropped_by_source: dict[str, int] = field(default_factory=dict)

    def allow(self, source: str | None, now_ms: int) -> bool:
        key = self._key(source or "-", now_ms)
        bucket = self.buckets[key]
        elapsed_s = max(0, now_ms - bucket.at_ms) / 1000
        bucket.tokens = min(self.limit.burst, bucket.tokens + elapsed_s * self.limit.per_second)
        bucket.at_ms = max(bucket.at_ms, now_ms)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return True
        bucket.dropped += 1
        self.dropped += 1
        self.dropped_by_source[key] = self.dropped_by_source.get(key, 0) + 1
        if len(self.dropped_by_source) > MAX_SOURCES:
            self._trim_counts()
        if bucket.reported_ms is None or now_ms - bucket.reported_ms >= REPORT_EVERY_MS:
            self._report(key, bucket, now_ms)
        return False

    def _key(self, source: str, now_ms: int) -> str:
        if source in self.buckets:
            return source
        if len(self.buckets) >= MAX_SOURCES:
            self._forget_idle(now_ms)
        key = source if len(self.buckets) < MAX_SOURCES else OTHERS
        if key not in self.buckets:
            self.buckets[key] = _Bucket(tokens=self.limit.burst, at_ms=now_ms)
        return key

    def _forget_idle(self, now_ms: int) -> None:
        """Drop the buckets that have filled up again: their senders are within limits."""
        full_after_ms = 1000 * self.limit.burst / self.limit.per_second
        for key in [
            k for k, b in self.buckets.items() if k != OTHERS and now_ms - b.at_ms >= full_after_ms
        ]:
            del self.buckets[key]

    def _trim_counts(self) -> None:
        keep = sorted(self.dropped_by_source.items(), key=lambda kv: -kv[1])[: MAX_SOURCES // 2]
        self.dropped_by_source = dict(keep)

    def _report(self, key: str, bucket: _Bucket, now_ms: int) -> None:
        since = bucket.dropped - bucket.reported
        if bucket.reported_ms is None:
            log.warning(
                "syslog from %s is over its limit of %g lines/s (burst %d): dropping the "
                "excess, counted in `warden stats` and /metrics",
                key,
                self.limit.per_second,
                self.limit.burst,
            )
        else:
            log.warning(
                "syslog from %s still over its limit: %d lines dropped in the last %d s "
                "(%d in all)",
                key,
                since,
                (now_ms - bucket.reported_ms) // 1000,
                bucket.dropped,
            )
        bucket.reported, bucket.reported_ms = bucket.dropped, now_ms


class LogWriterStats(BaseModel):
    stored: int
    queued_bytes: int
    rate_limited: int
    """Lines dropped because their sender was over its limit, since start."""
    rate_limited_by_source: dict[str, int]
    """The most limited senders and how many of their lines were dropped."""


class LogWriter(BatchWriter[RawLine]):
    thread_name = "log-writer"

    def __init__(
        self,
        db: Database,
        *,
        limit: SourceLimit | None = None,
        max_queued_bytes: int = MAX_QUEUED_BYTES,
        max_batch: int = 2000,
        max_delay_s: float = 0.1,
        queue_size: int = 20_000,
        archive: Callable[[list[RawLine]], None] | None = None,
    ) -> None:
        """``limit``: lines per sender address (``None``: no limit, e.g. for a
        benchmark); ``max_queued_bytes``: what the queue may hold before ``submit`` waits;
        ``archive``: hands every batch, as received, to the raw archive's spool."""
        super().__init__(max_batch=max_batch, max_delay_s=max_delay_s, queue_size=queue_size)
        self._db = db
        self._limiter = SourceLimiter(limit) if limit is not None else None
        self._max_bytes = max_queued_bytes
        self._queued_bytes = 0
        self._room = threading.Condition()
        self._archive = archive
        self.stored = 0

    def submit(self, item: RawLine) -> None:
        """Queue a line unless its sender is over its limit; waits while the queue is
        full, in lines or in bytes."""
        size = len(item.data)
        with self._room:
            if self._limiter is not None and not self._limiter.allow(
                item.source_ip, item.received_ms
            ):
                return
            while (
                self._queued_bytes
                and self._queued_bytes + size > self._max_bytes
                and not self._stop.is_set()
            ):
                self._room.wait(0.5)
            self._queued_bytes += size
        super().submit(item)

    def stats(self) -> LogWriterStats:
        with self._room:
            limiter = self._limiter
            top = sorted(
                (limiter.dropped_by_source if limiter else {}).items(), key=lambda kv: -kv[1]
            )[:TOP_SOURCES]
            return LogWriterStats(
                stored=self.stored,
                queued_bytes=self._queued_bytes,
                rate_limited=limiter.dropped if limiter else 0,
                rate_limited_by_source=dict(top),
            )

    def _handle(self, raws: list[RawLine]) -> None:
        with self._room:
            self._queued_bytes -= sum(len(raw.data) for raw in raws)
            self._room.notify_all()
        if self._archive is not None:
            keep_raw(self._archive, raws)
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
