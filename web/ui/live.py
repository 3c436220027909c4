"""One app-level poll of the change feed and the status, fanned out to every open page.

A page never polls the database on its own timer. It subscribes a refresh to ``changed``
(``nicegui.Event``; a subscription made in a page ends with its client) and is told which
kinds of change happened (``device.registered``, ``finding.acknowledged``, ...). Every
``STATUS_S`` the hub also reads the overview once (daemon heartbeat, counts) and emits it
on ``status`` with the ingest rate; it keeps a short history of rate and queue depth for
the overview's sparklines. One poll serves every browser, however many are open.

The hub emits from an app timer, outside any request, and a redraw run there would create
buttons whose handlers know no signed-in user (NiceGUI remembers the request current when
a handler is attached). Its events are ``PageEvent``s: a subscription made while a page is
built captures that page's request and runs every redraw with it.
"""

from __future__ import annotations

import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from nicegui import Event, context, helpers, run
from nicegui.slot import Slot
from nicegui.storage import request_contextvar

from core.live import ChangeFeed
from core.runtime import Core
from core.services.overview import Overview, ingest_rate, overview

log = logging.getLogger(__name__)
T = TypeVar("T")

POLL_S = 0.25
"""How often the feed is read: an idle poll is one ``PRAGMA data_version`` on SQLite, so a
change made elsewhere reaches every page well within a second."""
STATUS_S = 2.0
HISTORY = 90
"""Status samples kept for sparklines: three minutes at ``STATUS_S``."""


@dataclass(frozen=True)
class Sample:
    at_ms: int
    ingest_rate: float
    queue_depth: int


class LiveHub:
    def __init__(self, core: Core) -> None:
        self._core = core
        self._feed = ChangeFeed(core.db)
        self._busy = False
        self._status_busy = False
        self.changed: PageEvent[frozenset[str]] = PageEvent()
        """Emitted with the kinds of the changes committed since the last poll."""
        self.status: PageEvent[Overview] = PageEvent()
        """Emitted with a fresh overview every ``STATUS_S``."""
        self.last: Overview | None = None
        self.rate: float | None = None
        self.history: deque[Sample] = deque(maxlen=HISTORY)

    async def poll(self) -> None:
        """Read the feed once (off the event loop) and tell the subscribers. A slow poll
        is never overlapped by the next tick."""
        if self._busy:
            return
        self._busy = True
        try:
            changes = await run.io_bound(self._feed.poll)
        except Exception:  # the database went away for a moment: try again next tick
            log.warning("change feed poll failed", exc_info=True)
            return
        finally:
            self._busy = False
        if changes:
            self.changed.emit(frozenset(change.kind for change in changes))

    async def refresh_status(self) -> None:
        if self._status_busy:
            return
        self._status_busy = True
        try:
            current = await run.io_bound(self.read_overview)
        except Exception:
            log.warning("status poll failed", exc_info=True)
            return
        finally:
            self._status_busy = False
        self.rate = ingest_rate(self.last, current)
        self.last = current
        self.history.append(
            Sample(
                at_ms=int(current.at.timestamp() * 1000),
                ingest_rate=self.rate or 0.0,
                queue_depth=current.daemon.queue_depth + current.daemon.log_queue_depth,
            )
        )
        self.status.emit(current)

    def read_overview(self) -> Overview:
        with self._core.db.reader() as session:
            return overview(
                session=session,
                now=self._core.clock.now(),
                gateway=self._core.settings.gateway_name,
            )

    def close(self) -> None:
        self._feed.close()


def concerns(kinds: frozenset[str], *prefixes: str) -> bool:
    """Whether any change kind starts with one of ``prefixes`` (``"finding."``, ...)."""
    return any(kind.startswith(prefixes) for kind in kinds)


class PageEvent(Event[T]):
    """A ``nicegui.Event`` whose subscribers made while a page is built run with that
    page's request (see the module's docstring): every page's redraw draws handlers that
    act as its user, whichever page it is."""

    def subscribe(
        self,
        callback: Callable[..., Awaitable[Any] | Any],
        *,
        expect_args: bool | None = None,
        unsubscribe_on_delete: bool | None = None,
    ) -> None:
        if not Slot.get_stack():  # outside a page: nothing to remember
            super().subscribe(
                callback, expect_args=expect_args, unsubscribe_on_delete=unsubscribe_on_delete
            )
            return
        request = context.client.request
        takes_value = helpers.expects_arguments(callback) if expect_args is None else expect_args

        async def in_page(*args: Any) -> None:
            request_contextvar.set(request)  # this task's own context: no other page sees it
            result = callback(*args) if takes_value else callback()
            if inspect.isawaitable(result):
                await result

        in_page.__wrapped__ = callback  # type: ignore[attr-defined]
        super().subscribe(in_page, expect_args=True, unsubscribe_on_delete=unsubscribe_on_delete)

    def unsubscribe(self, callback: Callable[..., Any]) -> None:
        self.callbacks[:] = [
            c
            for c in self.callbacks
            if c.func != callback and getattr(c.func, "__wrapped__", None) != callback
        ]
