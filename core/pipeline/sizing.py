"""How many messages the next write transaction takes, so that it holds SQLite's write lock
for about a bound (a second) on whatever disk this is.

A transaction's lock hold is modelled as ``fixed + per_message * size``, fitted by least
squares over the recent transactions: ``fixed`` is what a commit costs whatever its size
(the fsyncs; a large share on an SD card limited in I/O operations), ``per_message`` what
each message adds. The next size is the one the model says fits three quarters of the bound
(the fit overestimates larger transactions, whose pages overlap). When even an empty
transaction costs more than that (a disk so slow that the bound cannot be met),
shrinking would only lose throughput, so the size aims at twice the fixed cost instead:
transactions as short as this disk allows while half of each still moves data. Until there
are sizes to fit, and whenever a transaction takes twice as long (or half) as the model
predicts twice in a row (the disk changed; a single odd one is a WAL checkpoint that ran in
its commit, and is left out of the fit), the size scales in proportion to the last
transaction's time. Transactions whose time does not grow with their size grow by half.
While transactions take under a quarter of the bound the size doubles (up to the most).
"""

from __future__ import annotations

from collections import deque

FIRST = 100
"""Messages in the first transaction, before anything is known of this disk."""
SMALLEST = 10
WINDOW = 16


class TransactionSizer:
    def __init__(self, *, bound_s: float, most: int) -> None:
        self.bound_s = bound_s
        self.most = most
        self.limit = min(most, FIRST)
        self.longest_s = 0.0
        """The longest lock hold observed."""
        self._samples: deque[tuple[int, float]] = deque(maxlen=WINDOW)
        self._model: tuple[float, float] | None = None
        self._surprises = 0

    def observe(self, size: int, held_s: float) -> None:
        """One transaction of ``size`` messages held the lock ``held_s`` seconds."""
        self.longest_s = max(self.longest_s, held_s)
        if self._model is not None:
            fixed, per_message = self._model
            predicted = fixed + per_message * size
            if held_s > 2 * predicted or held_s < predicted / 2:
                self._surprises += 1
                if self._surprises == 1:
                    # One odd transaction (a WAL checkpoint ran in its commit) teaches
                    # nothing; a long one still shrinks the next, for safety.
                    if held_s > self.bound_s:
                        self.limit = self._clamp(int(size * self.bound_s / 2 / held_s))
                    return
                self._samples.clear()  # twice in a row: the disk changed
                self._model = None
        self._surprises = 0
        self._samples.append((size, held_s))
        self._model = _fit(self._samples) or self._model
        if held_s < self.bound_s / 4:
            if size >= self.limit:
                self.limit = self._clamp(self.limit * 2)
            return
        if self._model is not None:
            fixed, per_message = self._model
            target = max(0.75 * self.bound_s, 2 * fixed)
            self.limit = self._clamp(int((target - fixed) / per_message))
        elif len(self._samples) == 1:
            if held_s > self.bound_s:
                self.limit = self._clamp(int(size * self.bound_s / 2 / held_s))
        else:
            # Several transactions and no cost that grows with the size: the hold is the
            # disk's fixed cost, and larger transactions cost no longer. Larger, then.
            self.limit = self._clamp(int(max(size, self.limit) * 1.5))

    def _clamp(self, size: int) -> int:
        return max(SMALLEST, min(self.most, size))


def _fit(samples: deque[tuple[int, float]]) -> tuple[float, float] | None:
    """(fixed, per_message) by least squares; None without two sizes or a positive slope."""
    if len(samples) < 2:
        return None
    mean_n = sum(n for n, _ in samples) / len(samples)
    mean_t = sum(t for _, t in samples) / len(samples)
    spread = sum((n - mean_n) ** 2 for n, _ in samples)
    if spread == 0:
        return None
    slope = sum((n - mean_n) * (t - mean_t) for n, t in samples) / spread
    if slope <= 0:
        return None
    return max(0.0, mean_t - slope * mean_n), slope
