"""Taking a batch from a bounded queue: what arrives within a short delay of the first item,
up to a size. Shared by the telemetry and the log writers."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

IDLE_POLL_S = 0.2


def take_batch(source: queue.Queue[T], *, max_items: int, max_delay_s: float) -> list[T]:
    """The items that arrive within ``max_delay_s`` of the first (at most ``max_items``);
    an empty list when nothing came for ``IDLE_POLL_S`` (so the caller can check for stop)."""
    try:
        first = source.get(timeout=IDLE_POLL_S)
    except queue.Empty:
        return []
    items = [first]
    deadline = time.monotonic() + max_delay_s
    while len(items) < max_items:
        try:
            items.append(source.get_nowait())
            continue
        except queue.Empty:
            pass
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        try:
            items.append(source.get(timeout=remaining))
        except queue.Empty:
            break
    return items


class BatchWriter(Generic[T]):
    """A bounded queue drained by one thread in batches. Producers block in ``submit`` while
    the queue is full (back-pressure); ``stop`` finishes what is queued first. Subclasses
    say what a batch means in ``_handle``."""

    thread_name = "batch-writer"

    def __init__(self, *, max_batch: int, max_delay_s: float, queue_size: int) -> None:
        self._queue: queue.Queue[T] = queue.Queue(maxsize=queue_size)
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
        self._queue.put(item)

    @property
    def queue_depth(self) -> int:
        return self._queue.qsize()

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
            items = take_batch(
                self._queue, max_items=self._max_batch, max_delay_s=self._max_delay_s
            )
            if items:
                self._handle(items)
            elif self._stop.is_set():
                return
            if self._queue.empty():
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
