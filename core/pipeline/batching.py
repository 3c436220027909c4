"""Taking a batch from a bounded queue: what arrives within a short delay of the first item,
up to a size. Shared by the telemetry and the log writers; producers hand over one item or a
whole list (what one MQTT socket read brought) at a time."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

IDLE_POLL_S = 0.2


class HandOff(Generic[T]):
    """A queue bounded by the number of items it holds, filled a list at a time.

    The MQTT receive loop hands over everything one socket read brought in a single
    ``put_many`` (one lock round-trip, one wake-up of the writer) instead of a put per
    message; the bound still counts items, so back-pressure is unchanged: a producer waits
    while the items would not fit. A list larger than the whole capacity goes in once the
    queue is empty (it is never split on the way in, nor refused)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._chunks: deque[list[T]] = deque()
        self._count = 0
        self._changed = threading.Condition(threading.Lock())

    def __len__(self) -> int:
        return self._count

    @property
    def maxsize(self) -> int:
        """The bound, under ``queue.Queue``'s name."""
        return self.capacity

    def put_many(self, items: Sequence[T]) -> None:
        """Queue ``items`` in order; blocks while they do not fit (back-pressure)."""
        if not items:
            return
        chunk = list(items)
        with self._changed:
            while self._count and self._count + len(chunk) > self.capacity:
                self._changed.wait()
            self._chunks.append(chunk)
            self._count += len(chunk)
            self._changed.notify_all()

    def take(self, *, max_items: int, max_delay_s: float) -> list[T]:
        """The items that arrive within ``max_delay_s`` of the first (at most ``max_items``);
        an empty list when nothing came for ``IDLE_POLL_S`` (so the caller can check for
        stop)."""
        items: list[T] = []
        with self._changed:
            if not self._count and not self._changed.wait_for(
                lambda: self._count > 0, timeout=IDLE_POLL_S
            ):
                return items
            deadline = time.monotonic() + max_delay_s
            while len(items) < max_items:
                if self._chunks:
                    self._take_from_chunks(items, max_items - len(items))
                    continue
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._changed.wait(remaining):
                    break
            self._count -= len(items)
            self._changed.notify_all()  # producers waiting for room
        return items

    def _take_from_chunks(self, items: list[T], room: int) -> None:
        chunk = self._chunks[0]
        if len(chunk) <= room:
            items.extend(self._chunks.popleft())
        else:
            items.extend(chunk[:room])
            self._chunks[0] = chunk[room:]


class BatchWriter(Generic[T]):
    """A bounded queue drained by one thread in batches. Producers block in ``submit`` while
    the queue is full (back-pressure); ``stop`` finishes what is queued first. Subclasses
    say what a batch means in ``_handle``."""

    thread_name = "batch-writer"

    def __init__(self, *, max_batch: int, max_delay_s: float, queue_size: int) -> None:
        self._queue: HandOff[T] = HandOff(queue_size)
        self._max_batch = max_batch
        self._max_delay_s = max_delay_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.idle = threading.Event()
        """Set whenever the queue is empty and no batch is in progress (tests wait on it)."""
        self.idle.set()

    def submit(self, item: T) -> None:
        """Queue an item; blocks while the queue is full (back-pressure)."""
        self.idle.clear()
        self._queue.put_many((item,))

    def submit_many(self, items: Sequence[T]) -> None:
        """Queue several items in one hand-off (what one socket read brought); blocks while
        they do not fit (back-pressure)."""
        if items:
            self.idle.clear()
            self._queue.put_many(items)

    @property
    def queue_depth(self) -> int:
        return len(self._queue)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish what is queued, then stop."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            items = self._queue.take(max_items=self._max_batch, max_delay_s=self._max_delay_s)
            if items:
                self._handle(items)
            elif self._stop.is_set():
                return
            if not self._queue:
                self.idle.set()

    def _handle(self, items: list[T]) -> None:
        raise NotImplementedError


def keep_raw(archive: Callable[[list[T]], None], items: list[T]) -> None:
    """Hand what arrived to the raw archive; its failure (a full spool disk) is logged and
    never stops the data going into the database."""
    try:
        archive(items)
    except Exception:
        log.exception("the raw archive could not keep %d message(s)", len(items))
