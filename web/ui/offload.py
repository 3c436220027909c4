"""Blocking work off the event loop that never passes a cancellation off as a result.

NiceGUI's ``run.io_bound`` returns None when the awaiting task is cancelled (NiceGUI 3
cancels a page's build that passes the page's ``response_timeout`` and deletes its client;
NiceGUI 4 will raise instead). A caller that takes that None for an answer goes on with the
wrong one: ``current_user`` took it for "no such user" and signed the browser out of every
tab, after one slow page on a loaded server (found by ``warden bench serve``). ``io_bound``
here raises ``asyncio.CancelledError`` then, so the cancelled build simply stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

from nicegui import run

T = TypeVar("T")


async def io_bound(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` on NiceGUI's thread pool; raises CancelledError if it was cancelled
    (or the app is stopping) instead of returning None."""
    boxed = await run.io_bound(lambda: (work(*args),))
    if boxed is None:
        raise asyncio.CancelledError
    return boxed[0]
