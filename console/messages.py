"""The messages the console's workers post to the UI thread."""

from __future__ import annotations

from textual.message import Message


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
