"""One latency histogram a process keeps in memory, for what only it can measure: the
ingest writer's and HTTP ingest's commit time, the reconciler's apply time.

``Timings.snapshot()`` is plain JSON, so a histogram travels in the agent's state and
heartbeat; the web process exposes it to Prometheus (``web.api.metrics``).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Upper bounds, in seconds, of a commit's (or an apply's) histogram buckets."""


class Timings:
    """A latency histogram: cumulative bucket counts, sum and count since it was made.
    Thread-safe."""

    def __init__(self, buckets: Sequence[float] = COMMIT_BUCKETS) -> None:
        self.buckets = tuple(buckets)
        self._counts = [0] * len(self.buckets)
        self._sum = 0.0
        self._count = 0
        self._lock = threading.Lock()

    def observe(self, seconds: float) -> None:
        with self._lock:
            for index, bound in enumerate(self.buckets):
                if seconds <= bound:
                    self._counts[index] += 1
            self._sum += seconds
            self._count += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "buckets": dict(zip(map(str, self.buckets), self._counts, strict=True)),
                "sum": self._sum,
                "count": self._count,
            }
