"""A page's build cancelled while its blocking call runs stops there: ``io_bound`` raises
CancelledError where NiceGUI's ``run.io_bound`` returns None (which ``current_user`` took for
"no such user" and signed the browser out of every tab, after one slow page)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

import pytest

from web.ui import session
from web.ui.offload import io_bound


def test_the_answer_of_the_work_is_returned_even_when_it_is_none() -> None:
    assert asyncio.run(io_bound(lambda: None)) is None
    assert asyncio.run(io_bound(lambda a, b: a + b, 2, 3)) == 5


def test_a_cancelled_call_raises_cancelled_instead_of_answering_none() -> None:
    release = threading.Event()

    async def cancel_while_working() -> None:
        started = threading.Event()

        def work() -> str:
            started.set()
            release.wait(30)
            return "late"

        await _cancel_once_started(io_bound(work), started, release)

    asyncio.run(cancel_while_working())


def test_a_cancelled_lookup_does_not_sign_the_browser_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    signed_out: list[bool] = []
    release = threading.Event()
    started = threading.Event()

    def slow_lookup(name: str) -> None:
        started.set()
        release.wait(30)

    class Storage:
        user = {session.NAME: "ada", session.STAMP: "then"}

    monkeypatch.setattr(session, "_lookup", slow_lookup)
    monkeypatch.setattr(session, "sign_out", lambda: signed_out.append(True))
    monkeypatch.setattr(session.app, "storage", Storage())

    async def cancel_the_page() -> None:
        await _cancel_once_started(session.current_user(), started, release)

    asyncio.run(cancel_the_page())
    assert signed_out == []


async def _cancel_once_started(
    awaitable: Coroutine[Any, Any, Any], started: threading.Event, release: threading.Event
) -> None:
    """Cancel ``awaitable`` once its blocking work has begun (as NiceGUI's response timeout
    does) and check the cancellation reaches the caller; then let the work end."""
    task = asyncio.create_task(awaitable)
    while not started.is_set():
        await asyncio.sleep(0.01)
    task.cancel()
    try:
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        release.set()
