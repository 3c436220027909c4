"""The thread every sink runs, and the bookkeeping of its state.

One attempt after another while there is work, a pause of a second when there is none, and
after a failure a backoff of 1 s doubling to 30 s. A failure is logged once when the sink
starts failing and once when it recovers (not at every attempt); every failure is counted by
kind in the sink's published state (``core.models.SinkState``).
"""

from __future__ import annotations

import logging
import threading

from core.clock import Clock, to_ms
from core.models import SinkState

log = logging.getLogger(__name__)

IDLE_S = 1.0
MAX_BACKOFF_S = 30.0


class SinkWorker:
    """Subclasses say what one attempt is (``attempt``) and what stopping releases
    (``close``)."""

    thread_name = "sink"
    title = "sink"
    """How the log names it ("InfluxDB mirror")."""

    def __init__(self, name: str, clock: Clock) -> None:
        self.state = SinkState(name=name)
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._backoff_s = 0.0

    def attempt(self) -> bool:
        """Do one piece of work; True when more is waiting now."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the sink holds (clients, open files)."""

    # -- bookkeeping ----------------------------------------------------------------------

    def record_success(self, delivered: int) -> None:
        if self.state.failing_since_ms is not None:
            log.info("%s recovered; sending what waited", self.title)
        self.state.sent += delivered
        self.state.last_success_ms = to_ms(self._clock.now())
        self.state.failing_since_ms = None
        self._backoff_s = 0.0

    def record_failure(self, kind: str, description: str, *, keeps_failing: bool = True) -> None:
        """Count a failed attempt; ``keeps_failing`` False for a refusal that was let go
        (the sink itself works)."""
        self.state.errors[kind] = self.state.errors.get(kind, 0) + 1
        self.state.last_error = f"{kind}: {description}"
        if not keeps_failing:
            return
        if self.state.failing_since_ms is None:
            self.state.failing_since_ms = to_ms(self._clock.now())
            log.warning("%s failing (%s); what it owes waits", self.title, self.state.last_error)
        self._backoff_s = min(MAX_BACKOFF_S, max(1.0, self._backoff_s * 2))

    def failing_for_s(self) -> float:
        return self.state.failing_for_s(to_ms(self._clock.now()))

    # -- the thread -----------------------------------------------------------------------

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                more = self.attempt()
            except Exception:  # a database error: logged, tried again
                log.exception("%s pass failed", self.title)
                more = False
                self._backoff_s = min(MAX_BACKOFF_S, max(1.0, self._backoff_s * 2))
            if more and not self._backoff_s:
                continue
            self._stop.wait(self._backoff_s or IDLE_S)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
        self.close()
