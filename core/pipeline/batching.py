"""Taking a batch from a bounded queue: what arrives within a short delay of the first item,
up to a size. Shared by the telemetry and the log writers."""

from __future__ import annotations

import queue
import time
from typing import TypeVar

T = TypeVar("T")

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
