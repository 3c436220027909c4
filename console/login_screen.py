"""The first screen: a Warden user's name and password (same roles and lockout as the
web), with the operating-system user shown alongside."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static
from textual.worker import Worker

from console.context import ConsoleContext, console_of
from console.crashes import crash_if_failed
from console.messages import Answered, answer
from core.errors import Throttled, Unauthenticated, WardenError
from core.models import Origin
from core.services import users

NO_USERS = "no users yet: create one with `warden users add NAME --role admin`"


class LoginScreen(Screen[None]):
    DEFAULT_CSS = """
    LoginScreen { align: center middle; }
    LoginScreen > Vertical {
        width: 60;
        height: auto;
        border: round $accent;
        padding: 1 2;
    }
    LoginScreen #title { text-style: bold; }
    LoginScreen #error { color: $error; height: auto; }
    LoginScreen Input { margin: 1 0 0 0; }
    """

    @property
    def console(self) -> ConsoleContext:
        return console_of(self.app)

    def compose(self) -> ComposeResult:
        app = self.console
        with Vertical():
            yield Static(Text(f"Warden console — {app.core.settings.gateway_name}"), id="title")
            yield Label(Text(f"system user: {app.os_user}", style="dim"), id="os-user")
            yield Input(value=app.initial_user or "", placeholder="user", id="name")
            yield Input(placeholder="password", password=True, id="password")
            yield Label("", id="error")
            yield Label(Text("enter: log in    ctrl+q: quit", style="dim"))

    def on_answered(self, message: Answered) -> None:
        message.callback()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        crash_if_failed(self.app, event)

    def on_mount(self) -> None:
        name = self.query_one("#name", Input)
        (self.query_one("#password", Input) if name.value else name).focus()
        self._check_users()

    @work(thread=True, group="login", exit_on_error=False)
    def _check_users(self) -> None:
        with self.console.core.db.reader() as session:
            if users.has_users(session=session):
                return
        answer(
            self,
            self.query_one("#error", Label).update,
            Text(NO_USERS),
        )

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        name = self.query_one("#name", Input).value.strip()
        password = self.query_one("#password", Input).value
        if event.input.id == "name" or not password:
            self.query_one("#password", Input).focus()
            return
        if not name:
            self.query_one("#name", Input).focus()
            return
        self.query_one("#error", Label).update("checking…")
        self._login(name, password)

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def _login(self, name: str, password: str) -> None:
        core = self.console.core
        try:
            with core.db.writer() as session:
                user = users.login(
                    session=session,
                    name=name,
                    password=password,
                    address=None,
                    now=core.clock.now(),
                    origin=Origin.TUI,
                )
        except (Throttled, Unauthenticated, WardenError) as exc:
            answer(self, self._refused, exc.msg)
            return
        answer(self, self.console.logged_in, user)

    def _refused(self, message: str) -> None:
        self.query_one("#error", Label).update(Text(message))
        password = self.query_one("#password", Input)
        password.value = ""
        password.focus()
