"""The frame every console screen shares (status header, footer with the keys), the role
guard, and the pattern of loading data: a thread worker per screen, exclusive, whose
stale answers are dropped."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from textual import work
from textual.app import ComposeResult
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, get_current_worker

from console.context import ConsoleContext, console_of
from console.crashes import crash_if_failed
from console.messages import Answered, Changed, answer
from console.widgets import StatusHeader
from core.errors import PermissionDenied, WardenError
from core.models import Actor
from core.permissions import Permission, authorize
from core.services.audit import record_denied

log = logging.getLogger(__name__)
Data = TypeVar("Data")
Result = TypeVar("Result")


class WardenScreen(Screen[None], Generic[Data]):
    """A console screen: ``fetch`` runs on a worker thread against a read session, and
    ``show`` puts its answer on screen; ``changed`` says whether a change concerns it."""

    MODE_NAME: ClassVar[str | None] = None
    ENTITIES: ClassVar[tuple[str, ...]] = ()
    """The change kinds' first words this screen shows (``finding``, ``device``, ...)."""
    HELP: ClassVar[str] = ""
    loads = 0
    """How many answers the screen has shown (tests wait on it)."""

    @property
    def console(self) -> ConsoleContext:
        return console_of(self.app)

    def compose(self) -> ComposeResult:
        yield StatusHeader()
        yield from self.compose_body()
        yield Footer(compact=True)

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_screen_resume(self) -> None:
        self.reload()

    def changed(self, message: Changed) -> None:
        if message.touches(*self.ENTITIES):
            self.reload()

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

    def on_answered(self, message: Answered) -> None:
        message.callback()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        crash_if_failed(self.app, event)

    # ---------------------------------------------------------------- loading
    def fetch(self, session: Session) -> Data:
        raise NotImplementedError

    def show(self, data: Data) -> None:
        raise NotImplementedError

    def reload(self) -> None:
        if self.console.user is not None and self.is_attached:
            self._load()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self) -> None:
        worker = get_current_worker()
        try:
            with self.console.core.db.reader() as session:
                data = self.fetch(session)
        except (WardenError, SQLAlchemyError) as exc:
            if not worker.is_cancelled:
                answer(self, self.fail, exc)
            return
        if not worker.is_cancelled:
            answer(self, self._show_if_attached, data)

    def _show_if_attached(self, data: Data) -> None:
        if self.is_attached:
            self.show(data)
            self.loads += 1

    # ---------------------------------------------------------------- acting
    def permitted(self, permission: Permission, what: str) -> bool:
        """Whether the user may; if not, say why (and audit the refusal)."""
        actor = self.console.actor
        try:
            authorize(actor, permission)
        except PermissionDenied as exc:
            self.notify(exc.msg, title=exc.title, severity="warning")
            self._audit_refusal(actor, permission, what)
            return False
        return True

    @work(thread=True, group="audit", exit_on_error=False)
    def _audit_refusal(self, actor: Actor, permission: Permission, what: str) -> None:
        try:
            record_denied(
                db=self.console.core.db, actor=actor, action=permission.value, summary=what
            )
        except SQLAlchemyError as exc:
            log.warning("could not audit a refusal: %s", exc)

    def act(
        self,
        permission: Permission,
        what: str,
        call: Callable[[Session, Actor, datetime], Any],
        done: Callable[[Any], str] | str,
    ) -> None:
        """Run a service call on a worker thread in a write session, after the role check;
        then say what happened (or why not) and reload."""
        if self.permitted(permission, what):
            self._act(call, done)

    @work(thread=True, group="act", exit_on_error=False)
    def _act(
        self,
        call: Callable[[Session, Actor, datetime], Any],
        done: Callable[[Any], str] | str,
    ) -> None:
        try:
            with self.console.core.db.writer() as session:
                result = call(session, self.console.actor, self.console.core.clock.now())
        except (WardenError, SQLAlchemyError) as exc:
            answer(self, self.fail, exc)
            return
        message = done(result) if callable(done) else done
        answer(self, self.notify, message)
        answer(self, self.reload)

    def fail(self, exc: Exception) -> None:
        if isinstance(exc, WardenError):
            self.notify(exc.msg, title=exc.title, severity="error", timeout=8)
        else:
            log.warning("database error: %s", exc)
            self.notify(f"database error: {exc}", title="Database", severity="error")
