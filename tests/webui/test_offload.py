"""A page's build cancelled while its blocking call runs stops there: ``io_bound`` raises
CancelledError where NiceGUI's ``run.io_bound`` returns None (which ``current_user`` took for
"no such user" and signed the browser out of every tab, after one slow page)."""

from __future__ import annotations

import asyncio
import threading

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

        task = asyncio.create_task(io_bound(work))
        while not started.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        try:
            with pytest.raises(asyncio.CancelledError):
                await task
        finally:
            release.set()

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
        task = asyncio.create_task(session.current_user())
        while not started.is_set():
            await asyncio.sleep(0.01)
        task.cancel()
        try:
            with pytest.raises(asyncio.CancelledError):
                await task
        finally:
            release.set()

    asyncio.run(cancel_the_page())
    assert signed_out == []
