"""``ConsoleApp``: the Warden terminal console.

One ``Core`` is passed in. The app follows the change feed from one thread worker (polls
never overlap) and posts ``Changed`` to itself; the status header is reloaded from
``core.services.overview`` on each change and every few seconds (for the ingest rate);
the screen on top reloads what a change concerns. Nothing blocks the UI thread.
"""

from __future__ import annotations

import getpass
import importlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from sqlalchemy.exc import SQLAlchemyError
from textual import work
from textual.app import App
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.worker import Worker, get_current_worker

from console.base_screen import WardenScreen
from console.crashes import LOG_FILE, crash_if_failed, write_crash
from console.dialogs import PromptDialog, TextDialog
from console.login_screen import LoginScreen
from console.messages import Answered, Changed, FeedFailed, FeedRecovered, answer
from console.widgets import SCREENS, FilterBar
from core.models import Actor, Origin, UserPublic

if TYPE_CHECKING:
    from core.runtime import Core
    from core.services.overview import Overview

log = logging.getLogger(__name__)

FEED_EVERY_S = 0.2
"""How often the change feed is polled (on SQLite one ``PRAGMA data_version`` when nothing
changed): a change made elsewhere shows well within a second."""
OVERVIEW_EVERY_S = 2.0
"""How often the header is reloaded without a change (the ingest rate moves without one)."""
COMMANDS = {f":{name}": name for name in SCREENS}
COMMAND_WORDS = (*COMMANDS, ":find WORDS", ":logout", ":help", ":q")
GLOBAL_HELP = """\
1-6      devices, findings, intents, logs, actions, rules
:        command prompt (:devices … :rules, :find WORDS, :logout, :q)
/        filter the table (enter keeps it, escape clears it)
?        this help
q        back; quits from a top screen
ctrl+q   quit
"""

TOP_SCREENS = {
    "devices": ("console.devices_screen", "DevicesScreen"),
    "findings": ("console.findings_screen", "FindingsScreen"),
    "intents": ("console.intents_screen", "IntentsScreen"),
    "logs": ("console.logs_screen", "LogsScreen"),
    "actions": ("console.actions_screen", "ActionsScreen"),
    "rules": ("console.rules_screen", "RulesScreen"),
}
"""Each top screen's module and class. They load when first shown, or in the background
once the login screen is drawn: the login screen is up in well under a second without
waiting for the intent language, the rule engine and the charts the others import."""


def _screen_factory(module: str, name: str) -> Callable[[], Screen[Any]]:
    def build() -> Screen[Any]:
        screen: Screen[Any] = getattr(importlib.import_module(module), name)()
        return screen

    build.__qualname__ = name
    return build


def _load_screens() -> None:
    for module, _ in TOP_SCREENS.values():
        importlib.import_module(module)


class ConsoleApp(App[None]):
    TITLE = "Warden"
    ENABLE_COMMAND_PALETTE = False
    MODES: ClassVar[dict[str, str | Callable[[], Screen[Any]]]] = {
        "login": LoginScreen,
        **{name: _screen_factory(*where) for name, where in TOP_SCREENS.items()},
    }
    DEFAULT_MODE = "login"
    BINDINGS = [
        *(
            Binding(str(number), f"show('{name}')", name, show=False)
            for number, name in enumerate(SCREENS, start=1)
        ),
        Binding("colon", "prompt", "Cmd", key_display=":"),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "back", "Back"),
    ]

    status: reactive[tuple[Overview, float | None] | None] = reactive(None)
    """The last overview and the ingest rate since the one before (the header shows it)."""

    def __init__(
        self,
        core: Core,
        *,
        user: str | None = None,
        feed_interval: float = FEED_EVERY_S,
        log_file: Path | None = None,
        after_start: Callable[[], None] | None = None,
    ) -> None:
        """``after_start``: work the first screen need not wait for (the CLI passes the
        rule and playbook catalog sync), run on a thread once the login screen is drawn."""
        super().__init__()
        self.core = core
        self.after_start = after_start
        self.log_file = log_file or core.settings.data_dir / LOG_FILE
        """Where a crash's traceback is written (``warden console`` says so on exit)."""
        self.initial_user = user
        self.feed_interval = feed_interval
        self.user: UserPublic | None = None
        self.os_user = _os_user()
        self._previous: Overview | None = None
        self._stop = threading.Event()
        self._overview_timer: Timer | None = None

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications carry device names and error messages: never parsed as markup."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _handle_exception(self, error: Exception) -> None:
        """An unhandled exception ends the app with status 1 (Textual's way); its traceback
        also goes to ``log_file``, which ``warden console`` names on exit."""
        write_crash(self.log_file, error)
        self._stop.set()  # the feed thread ends, or the process would wait on it at exit
        try:  # Textual renders the traceback of the exception being handled
            raise error
        except Exception:
            super()._handle_exception(error)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        crash_if_failed(self, event)

    # ---------------------------------------------------------------- session
    @property
    def actor(self) -> Actor:
        assert self.user is not None, "nothing acts before the login"
        return Actor(name=self.user.name, origin=Origin.TUI, role=self.user.role)

    @property
    def user_label(self) -> str:
        if self.user is None:
            return ""
        return f"{self.user.name} ({self.user.role})"

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.call_after_refresh(self.prepare_in_background)

    @work(thread=True, exclusive=True, group="prepare", exit_on_error=False)
    def prepare_in_background(self) -> None:
        """While the operator types the password: load the top screens and run
        ``after_start``, so the first screen after the login opens at once. A failure
        here ends the app like any other (``crash_if_failed``), never silently."""
        _load_screens()
        if self.after_start is not None:
            self.after_start()

    def logged_in(self, user: UserPublic) -> None:
        self.user = user
        self.follow_feed()
        self.load_overview()
        self._overview_timer = self.set_interval(OVERVIEW_EVERY_S, self.load_overview)
        self.switch_mode("devices")

    @work(exclusive=True, group="logout")
    async def log_out(self) -> None:
        """``:logout``: back to a fresh login screen (to log in as someone else). Nothing
        of the last user's screens is kept: each screen is built again after the next
        login, so what one role could read is not left for the next."""
        if self.user is None:
            return
        who = self.user_label
        self.user = None
        self.initial_user = None
        self.workers.cancel_group(self, "feed")
        if self._overview_timer is not None:
            self._overview_timer.stop()
            self._overview_timer = None
        self._previous = None
        self.status = None
        while len(self.screen_stack) > 1:
            await self.pop_screen()
        await self.remove_mode("login")
        self.add_mode("login", LoginScreen)
        await self.switch_mode("login")
        for name in SCREENS:
            await self.remove_mode(name)
            self.add_mode(name, self.MODES[name])
        self.notify(f"{who} logged out")

    def on_unmount(self) -> None:
        self._stop.set()

    # ---------------------------------------------------------------- live
    @work(thread=True, exclusive=True, group="feed", exit_on_error=False)
    def follow_feed(self) -> None:
        """Poll the change feed until the app ends; one poll at a time."""
        worker = get_current_worker()
        feed = self.core.change_feed()
        failing = False
        try:
            while not worker.is_cancelled and not self._stop.is_set():
                try:
                    changes = feed.poll()
                except SQLAlchemyError as exc:
                    if not failing:
                        log.warning("change feed failed: %s", exc)
                        self.post_message(FeedFailed(str(exc)))
                    failing = True
                else:
                    if failing:
                        log.warning("change feed recovered")
                        self.post_message(FeedRecovered())
                    failing = False
                    if changes:
                        self.post_message(Changed(frozenset(c.kind for c in changes)))
                self._stop.wait(self.feed_interval)
        finally:
            feed.close()

    def on_answered(self, message: Answered) -> None:
        message.callback()

    def on_changed(self, message: Changed) -> None:
        self.load_overview()
        stack = self.screen_stack  # empty while the app closes, as a last change arrives
        if stack and isinstance(stack[-1], WardenScreen):
            stack[-1].changed(message)

    def on_feed_failed(self, message: FeedFailed) -> None:
        self.notify(message.error, title="Database unreachable", severity="error")

    def on_feed_recovered(self, _message: FeedRecovered) -> None:
        self.notify("the database answers again")

    @work(thread=True, exclusive=True, group="overview", exit_on_error=False)
    def load_overview(self) -> None:
        from core.services.overview import overview  # loads after the login

        worker = get_current_worker()
        try:
            with self.core.db.reader() as session:
                current = overview(
                    session=session,
                    now=self.core.clock.now(),
                    gateway=self.core.settings.gateway_name,
                )
        except SQLAlchemyError as exc:
            log.warning("overview failed: %s", exc)
            return
        if not worker.is_cancelled:
            answer(self, self._show_overview, current)

    def _show_overview(self, current: Overview) -> None:
        from core.services.overview import ingest_rate

        rate = ingest_rate(self._previous, current)
        self._previous = current
        self.status = (current, rate)

    # ---------------------------------------------------------------- keys
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in {"show", "prompt", "help", "back"}:
            return True
        return self.user is not None and not isinstance(self.screen, ModalScreen)

    def action_show(self, name: str) -> None:
        self.switch_mode(name)

    def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()
        else:
            self.exit()

    def action_prompt(self) -> None:
        self.push_screen(
            PromptDialog(
                ":",
                placeholder="devices findings intents logs actions rules find logout q",
                value=":",
                suggestions=[*COMMANDS, ":find ", ":logout", ":q", ":help"],
            ),
            self.run_command,
        )

    def run_command(self, text: str | None) -> None:
        """``:devices`` … ``:rules`` (or a prefix that names one: ``:dev``), ``:find WORDS``
        (filter the table in front), ``:logout``, ``:help``, ``:q``; anything else is
        answered with what there is."""
        line = (text or "").strip().lstrip(":").strip()
        command, _, rest = line.partition(" ")
        command = command.lower()
        if not command:
            return
        if command in {"q", "quit", "q!"}:
            self.exit()
        elif command == "help":
            self.action_help()
        elif command in {"logout", "user", "su"}:
            self.log_out()
        elif command in {"find", "filter", "/"}:
            self.find(rest.strip())
        elif command in SCREENS:
            self.switch_mode(command)
        else:
            matches = [name for name in SCREENS if name.startswith(command)]
            if len(matches) == 1:
                self.switch_mode(matches[0])
            elif matches:
                self.notify(f":{command} could be {', '.join(matches)}", severity="warning")
            else:
                self.notify(
                    f"unknown command :{command}; try {', '.join(COMMAND_WORDS)}",
                    severity="warning",
                )

    def find(self, words: str) -> None:
        """``:find WORDS``: the table in front filtered to rows holding every word."""
        screen = self.screen
        bar = screen.query(FilterBar).first() if isinstance(screen, WardenScreen) else None
        if bar is None:
            self.notify(":find filters a table; this screen has none", severity="warning")
        elif not words:
            self.notify(":find WORDS keeps the rows that hold every word", severity="warning")
        else:
            bar.open()
            bar.value = words

    def action_help(self) -> None:
        screen = self.screen
        help_text = Text(GLOBAL_HELP)
        if isinstance(screen, WardenScreen) and screen.HELP:
            title = screen.MODE_NAME or type(screen).__name__
            help_text = Text(f"{title}\n", style="bold") + Text(screen.HELP + "\n") + help_text
        self.push_screen(TextDialog("Keys", help_text))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "?"
