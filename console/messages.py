"""The messages the console's workers post to the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.message import Message
from textual.message_pump import MessagePump


class Changed(Message):
    """The change feed reported new ``change_log`` rows: their kinds (``finding.opened``,
    ``device.went_offline``, ...), merged over one poll."""

    def __init__(self, kinds: frozenset[str]) -> None:
        super().__init__()
        self.kinds = kinds

    def touches(self, *entities: str) -> bool:
        """Whether any change is about one of ``entities`` (the kind's first word)."""
        return any(kind.split(".", 1)[0] in entities for kind in self.kinds)


class FeedFailed(Message):
    """The database could not be polled (logged once, until it recovers)."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class FeedRecovered(Message):
    """The database answers again after a failure."""


class Answered(Message, bubble=False):
    """A worker thread's answer, run on the UI thread by the node it was posted to.

    Posting never waits, unlike ``App.call_from_thread`` (which blocks its thread until the
    UI ran the callback): a worker that answers while the app closes would hang the process
    at exit on that wait. A node that is gone simply never runs it (a stale answer)."""

    def __init__(self, callback: Callable[[], object]) -> None:
        super().__init__()
        self.callback = callback


def answer(node: MessagePump, callback: Callable[..., object], *args: Any) -> None:
    """From a worker thread: run ``callback(*args)`` on the UI thread, via ``node``."""
    node.post_message(Answered(partial(callback, *args)))
