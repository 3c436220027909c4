"""One thread for the whole fleet: every paho client's socket in one selector, every
device's next send in one heap of timers.

Nothing blocks but the ``select`` call, which sleeps until the next timer is due or a socket
is ready. Other threads talk to the reactor only through ``post`` (which wakes it).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import selectors
import socket
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt

log = logging.getLogger(__name__)

Clock = Callable[[], float]
"""Seconds since the epoch (``time.time`` unless a test injects its own)."""

MISC_EVERY_S = 1.0
"""How often each client gets ``loop_misc`` (keepalive pings, lost-connection checks)."""


class Timer:
    """A scheduled call; ``cancel()`` makes it a no-op."""

    __slots__ = ("callback", "cancelled", "when")

    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when = when
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Reactor:
    """Drives paho clients and timers from the thread that calls ``run``."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._selector = selectors.DefaultSelector()
        self._timers: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()
        self._posted: deque[Callable[[], None]] = deque()
        self._waiters: list[tuple[Callable[[], bool], float, Callable[[bool], None]]] = []
        self._clients: set[mqtt.Client] = set()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._halted = False
        self.thread: threading.Thread | None = None

    # ---------------------------------------------------------------- scheduling

    def call_at(self, when: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(when, callback)
        heapq.heappush(self._timers, (when, next(self._order), timer))
        return timer

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> Timer:
        return self.call_at(self.clock() + delay_s, callback)

    def when(
        self, condition: Callable[[], bool], timeout_s: float, then: Callable[[bool], None]
    ) -> None:
        """Call ``then(True)`` once ``condition()`` holds, or ``then(False)`` after the timeout.

        The condition is checked after every round of network events and timers.
        """
        self._waiters.append((condition, self.clock() + timeout_s, then))

    def post(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on the reactor thread soon; safe from any thread."""
        self._posted.append(callback)
        # Full buffer: it is awake anyway; closed: the run is over and nothing will run.
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")

    def halt(self) -> None:
        """End ``run`` after the current round (call on the reactor thread)."""
        self._halted = True

    # ---------------------------------------------------------------- clients

    def adopt(self, client: mqtt.Client) -> None:
        """Let the reactor drive ``client``'s socket (instead of ``loop_start``)."""
        client.on_socket_open = self._socket_opened
        client.on_socket_close = self._socket_closed
        client.on_socket_register_write = self._want_write
        client.on_socket_unregister_write = self._done_writing
        self._clients.add(client)

    def release(self, client: mqtt.Client) -> None:
        self._clients.discard(client)

    def _socket_opened(self, client: mqtt.Client, _userdata: Any, sock: Any) -> None:
        self._selector.register(sock, selectors.EVENT_READ, client)

    def _socket_closed(self, _client: mqtt.Client, _userdata: Any, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)

    def _want_write(self, client: mqtt.Client, _userdata: Any, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)

    def _done_writing(self, client: mqtt.Client, _userdata: Any, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.modify(sock, selectors.EVENT_READ, client)

    # ---------------------------------------------------------------- the loop

    def run(self) -> None:
        """Serve sockets, timers, posted calls and waiters until ``halt``."""
        self.thread = threading.current_thread()
        next_misc = self.clock() + MISC_EVERY_S
        try:
            while not self._halted:
                self._guard(self._run_posted)
                now = self.clock()
                self._guard(lambda now=now: self._run_due(now))
                if now >= next_misc:
                    next_misc = now + MISC_EVERY_S
                    for client in list(self._clients):
                        self._guard(client.loop_misc)
                self._guard(self._check_waiters)
                if self._halted:
                    break
                for key, mask in self._selector.select(self._timeout(next_misc)):
                    self._guard(lambda key=key, mask=mask: self._serve(key, mask))
        finally:
            for client in self._clients:  # left over only when a stop timed out
                sock = client.socket()
                if sock is not None:
                    sock.close()
            self._selector.close()
            self._wake_r.close()
            self._wake_w.close()

    def _guard(self, step: Callable[[], None]) -> None:
        """A bug in one device must not stop the fleet: log it and go on."""
        try:
            step()
        except Exception:
            log.exception("simulator step failed")

    def _timeout(self, next_misc: float) -> float:
        if self._posted:
            return 0.0
        deadline = next_misc
        if self._timers:
            deadline = min(deadline, self._timers[0][0])
        for _condition, waiter_deadline, _then in self._waiters:
            deadline = min(deadline, waiter_deadline)
        return max(0.0, deadline - self.clock())

    def _serve(self, key: selectors.SelectorKey, mask: int) -> None:
        client = key.data
        if client is None:
            try:
                while self._wake_r.recv(4096):
                    pass
            except BlockingIOError:
                pass
            return
        if mask & selectors.EVENT_READ:
            client.loop_read()
        if mask & selectors.EVENT_WRITE and client.socket() is key.fileobj:
            client.loop_write()

    def _run_posted(self) -> None:
        while self._posted:
            self._posted.popleft()()

    def _run_due(self, now: float) -> None:
        while self._timers and self._timers[0][0] <= now:
            _when, _order, timer = heapq.heappop(self._timers)
            if not timer.cancelled:
                timer.cancelled = True
                self._guard(timer.callback)

    def _check_waiters(self) -> None:
        if not self._waiters:
            return
        now = self.clock()
        waiting, self._waiters = self._waiters, []
        for condition, deadline, then in waiting:
            if condition():
                self._guard(lambda then=then: then(True))
            elif now >= deadline:
                self._guard(lambda then=then: then(False))
            else:
                self._waiters.append((condition, deadline, then))
