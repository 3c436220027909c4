"""Token buckets per key (a device, a client address) for the device-facing routes.

Each key's bucket holds up to ``burst`` tokens and refills at ``rate`` per second; a request
takes one token or is told how long to wait. Memory is bounded: only the ``max_keys`` most
recently used keys are kept (an evicted key starts again with a full bucket, which errs on
the side of letting a device through). The clock is injectable so tests move time instead
of sleeping.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

DEVICE_RATE = 10.0
"""Requests per second one device may make to the device routes, sustained."""
DEVICE_BURST = 20
ADDRESS_RATE = 50.0
"""Requests per second one client address may make (gateways behind NAT send for many
devices; an unknown key is also charged here, which slows guessing)."""
ADDRESS_BURST = 100
MAX_KEYS = 10_000


class TokenBucket:
    """Buckets for many keys; thread-safe."""

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = MAX_KEYS,
    ) -> None:
        if rate <= 0 or burst < 1 or max_keys < 1:
            raise ValueError("rate, burst and max_keys must be positive")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        """key → (tokens, when they were counted), least recently used first."""
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """Take a token for ``key``: 0.0 when granted, else the seconds until one is due."""
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.pop(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + max(0.0, now - then) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)


def retry_after_s(wait: float) -> int:
    """``Retry-After`` is whole seconds: round up, at least 1."""
    return max(1, math.ceil(wait))


@dataclass
class IngestLimits:
    """The buckets of one app's device routes."""

    clock: Callable[[], float] = time.monotonic
    per_device: TokenBucket = field(init=False)
    per_address: TokenBucket = field(init=False)

    def __post_init__(self) -> None:
        self.per_device = TokenBucket(rate=DEVICE_RATE, burst=DEVICE_BURST, clock=self.clock)
        self.per_address = TokenBucket(rate=ADDRESS_RATE, burst=ADDRESS_BURST, clock=self.clock)
