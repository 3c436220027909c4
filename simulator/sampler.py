"""A meter's sampling: readings due on an exact millisecond grid, buffered until sent."""

from __future__ import annotations

from collections import deque

from simulator.signals import Signals

Sample = tuple[int, dict[str, float]]
"""(epoch ms, metric → value)."""

MAX_RATE_PER_S = 1000
"""Samples are at least 1 ms apart, whatever the fleet's rate (timestamps are in ms)."""


class Sampler:
    """Sample k is due at ``base + k * period`` ms, so the spacing stays exact however
    late the device gets round to taking them. At most ``capacity`` wait to be sent;
    beyond that the oldest go (and are counted)."""

    def __init__(self, signals: Signals, capacity: int) -> None:
        self._signals = signals
        self.capacity = capacity
        self.buffer: deque[Sample] = deque()
        self._base_ms = 0
        self._period_ms = 1000.0
        self._index = 0
        self._last_ms = 0

    def restart(self, base_ms: int, period_ms: float) -> None:
        """Sample from ``base_ms`` on, every ``period_ms`` (at least 1 ms)."""
        self._base_ms = base_ms
        self._period_ms = max(period_ms, 1000 / MAX_RATE_PER_S)
        self._index = 0

    def next_ms(self) -> float:
        return self._base_ms + self._index * self._period_ms

    def collect(self, now_ms: float) -> int:
        """Take every sample due by ``now_ms``; returns how many were dropped."""
        if self.next_ms() > now_ms:
            return 0
        dropped = 0
        due = int((now_ms - self.next_ms()) / self._period_ms) + 1
        if due > self.capacity:
            dropped = due - self.capacity
            self._index += dropped
        while (next_ms := self.next_ms()) <= now_ms:
            ts_ms = max(round(next_ms), self._last_ms + 1)
            self._last_ms = ts_ms
            self.buffer.append((ts_ms, self._signals.sample()))
            self._index += 1
        while len(self.buffer) > self.capacity:
            self.buffer.popleft()
            dropped += 1
        return dropped

    def take(self, count: int) -> list[Sample]:
        """The oldest ``count`` samples (fewer if fewer wait), removed from the buffer."""
        return [self.buffer.popleft() for _ in range(min(count, len(self.buffer)))]

    def usage_pct(self) -> int:
        return round(100 * len(self.buffer) / self.capacity)
