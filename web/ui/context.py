"""What every page needs: the Core, the live hub and the kernel features for planning.

NiceGUI's pages and middleware are process-wide, so the console is process-wide too:
``install`` sets it once (``warden web``/``warden serve``, or a test), pages call ``web()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.ports import KernelFeatures
from core.runtime import Core
from web.ui.live import LiveHub

FeaturesProvider = Callable[[Core], KernelFeatures | None]


@dataclass
class WebContext:
    core: Core
    hub: LiveHub
    features_provider: FeaturesProvider | None = None

    def features(self) -> KernelFeatures | None:
        return self.features_provider(self.core) if self.features_provider else None


_current: WebContext | None = None


def install(context: WebContext) -> None:
    global _current
    _current = context


def web() -> WebContext:
    if _current is None:
        raise RuntimeError("the web console is not installed (web.ui.app.register)")
    return _current
