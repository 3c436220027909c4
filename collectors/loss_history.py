"""Messages lost per device within a window, from the pipeline's running totals: what the
sequence-gap and suspect-jump rules count, and how much of the fleet lost messages at once
(``fleet_gap_pct``: many devices at the same time is a broker dropping messages)."""

from __future__ import annotations

from collections import deque

FLEET_GAP_WINDOW_S = 120
FLEET_GAP_MIN_DEVICES = 4
"""Below this many active devices a fleet-wide loss cannot be told from a few bad links."""


class MissingHistory:
    """How many messages each device lost within a window, from the pipeline's running
    ``missing`` totals sampled on each pass. The first sample of a device is its baseline:
    losses from before this process started are not counted again."""

    def __init__(self) -> None:
        self._samples: dict[str, deque[tuple[int, int]]] = {}

    def observe(self, device_id: str, missing_total: int, now_ms: int, keep_s: int) -> None:
        samples = self._samples.setdefault(device_id, deque(maxlen=10_000))
        samples.append((now_ms, missing_total))
        horizon = now_ms - keep_s * 1000
        # Keep one sample at or before the horizon: it is the longest window's baseline.
        while len(samples) > 1 and samples[1][0] <= horizon:
            samples.popleft()

    def lost_within(self, device_id: str, now_ms: int, window_s: int) -> int:
        samples = self._samples.get(device_id)
        if not samples:
            return 0
        horizon = now_ms - window_s * 1000
        baseline = samples[0][1]
        for ts, total in samples:
            if ts > horizon:
                break
            baseline = total
        return max(0, samples[-1][1] - baseline)
