"""What the screens need of the app they run in, as a Protocol: ``ConsoleApp`` provides
it, the screens depend on this module only, so ``console.app`` (which imports every
screen) is imported by none of them."""

from __future__ import annotations

from typing import Protocol, cast

from textual.app import App

from core.models import Actor, UserPublic
from core.runtime import Core


class ConsoleContext(Protocol):
    core: Core
    user: UserPublic | None
    """Who logged in; None on the login screen."""
    initial_user: str | None
    """The name to pre-fill the login with (``warden console --user``)."""
    os_user: str
    """The operating-system user running the console."""

    @property
    def actor(self) -> Actor:
        """The logged-in user, as the services' actor (origin ``tui``)."""
        ...

    def logged_in(self, user: UserPublic) -> None:
        """The login screen's answer: start following the feed and show the devices."""
        ...


def console_of(app: App[None]) -> ConsoleContext:
    """The console behind a screen's ``app`` (always a ``ConsoleApp``)."""
    return cast(ConsoleContext, app)
