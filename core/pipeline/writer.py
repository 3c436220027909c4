"""The single writer thread of the firehose.

Producers (the MQTT network threads, the HTTP ingest route) ``submit`` raw messages into a
bounded queue; when it is full they block, which stops the MQTT client reading from its
socket: back-pressure instead of unbounded memory. The writer takes up to ``max_batch``
messages or whatever arrived within ``max_delay_s`` of the first, judges them, commits the
batch in one transaction, and only then acknowledges every message of the batch. A failed
commit is retried (the batch re-judged from its raw messages against the database) and
nothing is acknowledged meanwhile, so the broker redelivers whatever a crash loses.
A batch is bounded by time as well as by count: the writer measures how long each
transaction held the write lock and splits what it took from the queue into transactions
sized to hold it for about ``max_lock_s`` (``core.pipeline.sizing``: a slow SD card gets
smaller transactions, so scheduled jobs and the other front ends wait a second or so, not the
whole batch).
A full disk (SQLite's "database or disk is full") pauses ingest: nothing is acknowledged,
the space reserve (``core.disk_space``) is given back so the health finding and the agent's
state can still be written, and the writer retries only once there is room for the reserve
again; it resumes by itself when space returns.
Each committed batch's judge-and-commit time goes into ``commit_seconds``, which the agent
publishes with its state (``warden_ingest_commit_seconds{source="mqtt"}``).

On SQLite this writer is the only one: it remembers each device's sequence state and judges
a batch before its transaction. On PostgreSQL several agents may share the database (and a
device's messages): a batch is decoded first, then judged in its transaction under the
devices' locks against states read there (``core.services.device_seq``); a deadlock is
retried like any failed commit. Each agent counts under its own key (``agent_name``).
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core.clock import Clock, SystemClock, to_ms
from core.db import Database
from core.disk_space import SpaceReserve, is_disk_full
from core.models.deadletter import HEAD_BYTES
from core.pipeline.batch import (
    Acknowledger,
    DeadLetterRow,
    IngestBatch,
    IngestCounters,
    RawMessage,
)
from core.pipeline.batching import BatchWriter, keep_raw
from core.pipeline.judge import Judge
from core.pipeline.sizing import TransactionSizer
from core.protocol import FlatTopic
from core.services import device_seq, ingest
from core.services.ingest_counters import COUNTERS_KEY
from core.timings import COMMIT_BUCKETS, Timings

log = logging.getLogger(__name__)

RETRY_MIN_S = 0.2
INTERNAL_ERROR = "internal_error"
"""Dead-letter reason of a message Warden itself failed on (a bug, kept for the report)."""
RETRY_MAX_S = 10.0
SPACE_POLL_S = 1.0
"""How often a writer paused by a full disk looks for free space."""
Judged = IngestBatch | Callable[[Session], IngestBatch]
"""A batch judged already (SQLite), or how to judge it inside its transaction (PostgreSQL)."""
COMMIT_SECONDS = "commit_seconds"
"""Where the agent's state carries this writer's ``commit_seconds.snapshot()``."""


class IngestWriter(BatchWriter[RawMessage]):
    thread_name = "ingest-writer"

    def __init__(
        self,
        db: Database,
        *,
        prefix: str,
        max_payload_bytes: int,
        flat_topics: Sequence[FlatTopic] = (),
        clock: Clock | None = None,
        max_batch: int = 5000,
        max_delay_s: float = 0.1,
        queue_size: int = 20_000,
        max_lock_s: float = 1.0,
        reserve: SpaceReserve | None = None,
        extra_state: Callable[[], dict[str, Any]] | None = None,
        on_committed: Callable[[IngestBatch], None] | None = None,
        mirror: bool = False,
        archive: Callable[[list[RawMessage]], None] | None = None,
        agent_name: str | None = None,
    ) -> None:
        super().__init__(max_batch=max_batch, max_delay_s=max_delay_s, queue_size=queue_size)
        self._db = db
        self._clock = clock or SystemClock()
        self._series = ingest.SeriesCache()
        self._judge = Judge(
            prefix=prefix,
            max_payload_bytes=max_payload_bytes,
            load_seq=self._load_seq,
            flat_topics=flat_topics,
        )
        self._extra_state = extra_state
        self.sizer = TransactionSizer(bound_s=max_lock_s, most=max_batch)
        """Messages per transaction, adapted to how long transactions hold the lock."""
        self._failing = False
        self._reserve = reserve
        self.disk_full = False
        """The last commit failed for lack of space (ingest paused, nothing acknowledged)."""
        self._on_committed = on_committed
        self._mirror = mirror
        """Whether each batch joins the InfluxDB mirror's outbox (``WARDEN_INFLUX_URL``)."""
        self._archive = archive
        """Hands every batch, as received, to the raw archive's spool (``WARDEN_S3_URL``)."""
        self.commit_seconds = Timings(COMMIT_BUCKETS)
        """Judge and commit time of each committed batch, since this writer was made."""
        self._shared = not db.is_sqlite
        """Other agents may ingest into this database: judge under the devices' locks."""
        name = agent_name or socket.gethostname()[:64]
        self._counters_key = ingest.agent_counters_key(name) if self._shared else COUNTERS_KEY
        with db.reader() as session:
            self.counters = IngestCounters.from_json(
                ingest.load_counters(session=session, key=self._counters_key)
            )

    # -- the writer thread (BatchWriter runs it) ---------------------------------------

    def start(self) -> None:
        if self._reserve is not None and not self._reserve.ensure():
            log.warning(
                "no room for the %d-byte space reserve in %s",
                self._reserve.size,
                self._reserve.path.parent,
            )
        super().start()

    def _handle(self, raws: list[RawMessage]) -> None:
        if self._archive is not None:
            keep_raw(self._archive, raws)
        start = 0
        while start < len(raws) and not self._stop_now():
            chunk = raws[start : start + self.limit]
            self._commit_with_retry(chunk)
            start += len(chunk)

    def _stop_now(self) -> bool:
        """Stopping after a failed commit: what is left is redelivered by the broker."""
        return self._stop.is_set() and self._failing

    @property
    def limit(self) -> int:
        """Messages the next transaction takes at most."""
        return self.sizer.limit

    @property
    def longest_lock_s(self) -> float:
        """The longest time one of this writer's transactions held the write lock."""
        return self.sizer.longest_s

    def _commit_with_retry(self, raws: list[RawMessage]) -> None:
        delay = RETRY_MIN_S
        while True:
            try:
                started = self._clock.monotonic()
                judged = self._judged_locked(raws) if self._shared else self._judged(raws)
                locked = self._clock.monotonic()
                batch = self._commit(judged, len(raws))
                done = self._clock.monotonic()
                self.commit_seconds.observe(done - started)
                self.sizer.observe(len(raws), done - locked)
                self._failing = False
                if self.disk_full:
                    self.disk_full = False
                    log.warning("disk space is back: ingest resumed")
                break
            except SQLAlchemyError as exc:
                self.counters.commit_failures += 1
                self._failing = True
                if is_disk_full(exc):
                    self._on_disk_full()
                else:
                    log.error(
                        "ingest commit failed, retrying in %.1f s (nothing acknowledged): %s",
                        delay,
                        exc,
                    )
                self._forget()
                if self._wait_to_retry(delay):
                    return  # stopping: unacknowledged messages are redelivered by the broker
                delay = min(delay * 2, RETRY_MAX_S)
            except Exception:
                # A bug met by some message. Find it by committing one message at a time, so
                # the rest are stored and the culprit is kept as a dead letter.
                log.exception("ingest failed on a batch of %d; isolating the message", len(raws))
                self._forget()
                if len(raws) == 1:
                    batch = self._commit(self._internal_error(raws[0]), 1)
                    break
                for raw in raws:
                    self._commit_with_retry([raw])
                return
        self._acknowledge(raws)
        if self._on_committed is not None:
            self._on_committed(batch)

    def _on_disk_full(self) -> None:
        if not self.disk_full:
            log.error(
                "disk full: ingest paused until there is space (nothing acknowledged; the "
                "broker keeps the messages)"
            )
        self.disk_full = True
        if self._reserve is not None:
            self._reserve.release()

    def _wait_to_retry(self, delay: float) -> bool:
        """Wait before the next try (on a full disk, until there is room for the reserve
        again); True when the writer is stopping instead."""
        if self._stop.wait(delay):
            return True
        if self.disk_full and self._reserve is not None:
            while not self._reserve.room_to_resume():
                if self._stop.wait(SPACE_POLL_S):
                    return True
            self._reserve.ensure()
        return False

    def _judged(self, raws: list[RawMessage]) -> IngestBatch:
        batch = IngestBatch()
        for raw in raws:
            self._judge.add(raw, batch)
        return batch

    def _judged_locked(self, raws: list[RawMessage]) -> Judged:
        """Decode now; judge in the transaction, once the devices are locked and their
        states read (another agent may have judged them since this one last did)."""
        decoded = [(raw, self._judge.decode(raw)) for raw in raws]
        device_ids = {m.device_id for _, m in decoded if not isinstance(m, DeadLetterRow)}

        def judge(session: Session) -> IngestBatch:
            self._judge.use_states(device_seq.locked_states(session=session, device_ids=device_ids))
            batch = IngestBatch()
            for raw, message in decoded:
                self._judge.judge(raw, message, batch)
            return batch

        return judge

    def _forget(self) -> None:
        """After a failure the database is the truth again: re-judge against it."""
        self._judge.forget()
        self._series.clear()

    @staticmethod
    def _internal_error(raw: RawMessage) -> IngestBatch:
        batch = IngestBatch()
        batch.dead_letters.append(
            DeadLetterRow(
                source=raw.source,
                topic=raw.topic[:512],
                reason=INTERNAL_ERROR,
                detail="Warden failed on this message; its log has the error",
                size=len(raw.payload),
                head=bytes(raw.payload[:HEAD_BYTES]),
                received_ms=raw.received_ms,
            )
        )
        return batch

    @staticmethod
    def _acknowledge(raws: list[RawMessage]) -> None:
        """Tell the senders a committed batch is safe: one call per acknowledger for the
        messages that carry a receipt (MQTT: one wake-up of the network loop per batch), one
        call per message otherwise (HTTP)."""
        receipts: dict[int, tuple[Acknowledger, list[object]]] = {}
        for raw in raws:
            if raw.acknowledger is not None:
                key = id(raw.acknowledger)
                if key not in receipts:
                    receipts[key] = (raw.acknowledger, [])
                receipts[key][1].append(raw.receipt)
            elif raw.ack is not None:
                try:
                    raw.ack()
                except Exception:  # a broker gone away; it redelivers on reconnect
                    log.warning("acknowledgement failed for %s", raw.topic, exc_info=True)
        for acknowledger, pending in receipts.values():
            try:
                acknowledger.acknowledge(pending)
            except Exception:  # a broker gone away; it redelivers on reconnect
                log.warning("acknowledging %d message(s) failed", len(pending), exc_info=True)

    def _commit(self, judged: Judged, received: int) -> IngestBatch:
        """Commit a judged batch, or one judged by ``judged`` in the transaction."""
        with self._db.writer() as session:
            batch = judged if isinstance(judged, IngestBatch) else judged(session)
            counters = self.counters.plus(batch, received)
            snapshot = counters.to_json()
            if self._extra_state is not None:
                snapshot.update(self._extra_state())
            snapshot["queue_depth"] = self.queue_depth
            snapshot["at_ms"] = to_ms(self._clock.now())
            ingest.commit_batch(
                session=session,
                batch=batch,
                series_cache=self._series,
                now=self._clock.now(),
                counters=snapshot,
                counters_key=self._counters_key,
                mirror=self._mirror,
            )
        self.counters = counters
        return batch

    def _load_seq(self, device_id: str):  # type: ignore[no-untyped-def]
        with self._db.reader() as session:
            return ingest.load_seq_state(session=session, device_id=device_id)
