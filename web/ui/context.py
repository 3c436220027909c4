"""What every page needs: the Core (with the kernel's features for planning) and the live hub.

NiceGUI's pages and middleware are process-wide, so the console is process-wide too:
``install`` sets it once (``warden web``/``warden serve``, or a test), pages call ``web()``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.runtime import Core
from web.ui.live import LiveHub


@dataclass
class WebContext:
    core: Core
    hub: LiveHub
    feed_timer: Any = None
    """The app timer that polls the change feed (a test pauses it to see what a page's own
    action shows without it)."""


_current: WebContext | None = None


def install(context: WebContext) -> None:
    global _current
    _current = context


def web() -> WebContext:
    if _current is None:
        raise RuntimeError("the web console is not installed (web.ui.app.register)")
    return _current
