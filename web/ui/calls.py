"""How pages call the service layer: off the event loop, as the signed-in user, with the
role checked again at the moment of the click and every refusal or error shown (and
refusals audited) rather than raised into NiceGUI."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from nicegui import ui
from sqlmodel import Session

from core.errors import PermissionDenied, WardenError
from core.models import Actor
from core.permissions import Permission, authorize
from core.services import audit
from web.ui.context import web
from web.ui.offload import io_bound
from web.ui.session import actor_for, current_user

T = TypeVar("T")
log = logging.getLogger(__name__)


async def read(query: Callable[[Session], T]) -> T:
    """Run ``query(session)`` in a read transaction on a worker thread."""

    def work() -> T:
        with web().core.db.reader() as session:
            return query(session)

    return await io_bound(work)


async def act(
    permission: Permission,
    change: Callable[[Session, Actor], T],
    *,
    done: str | None = None,
    passes: tuple[type[WardenError], ...] = (),
) -> T | None:
    """Run ``change(session, actor)`` in a write transaction as the signed-in user, if
    their role (read from the database now) allows ``permission``. Returns its result, or
    None after telling the user why not (signed out, refused, invalid, failed): a failure
    is shown to the person who clicked, never only logged. Errors of the ``passes`` types
    are raised to the caller instead, which offers a way on (an intent conflict: replace)."""
    try:
        return await _act(permission, change, done=done, passes=passes)
    except passes:
        raise
    except Exception as failure:  # a bug or an outage: say so where the click happened
        log.exception("web action %s failed", permission.value)
        ui.notify(
            f"That did not work: {type(failure).__name__}: {failure}"[:500],
            type="negative",
            multi_line=True,
        )
        return None


async def _act(
    permission: Permission,
    change: Callable[[Session, Actor], T],
    *,
    done: str | None,
    passes: tuple[type[WardenError], ...],
) -> T | None:
    user = await current_user()
    if user is None:
        ui.notify("Your session has ended; sign in again.", type="warning")
        ui.navigate.to("/login")
        return None
    actor = actor_for(user)

    def work() -> T:
        authorize(actor, permission)
        with web().core.db.writer() as session:
            return change(session, actor)

    try:
        result = await io_bound(work)
    except PermissionDenied as refused:
        await io_bound(_audit_refusal, actor, permission, refused)
        ui.notify(f"Not allowed: {refused.msg}", type="negative", multi_line=True)
        return None
    except passes:
        raise
    except WardenError as error:
        ui.notify(f"{error.title}: {error.msg}", type="negative", multi_line=True)
        return None
    if done:
        ui.notify(done, type="positive")
    await web().hub.poll()  # every page concerned (this one first) redraws now, not next tick
    return result


def _audit_refusal(actor: Actor, permission: Permission, refused: PermissionDenied) -> None:
    audit.record_denied(
        db=web().core.db,
        actor=actor,
        action=permission.value,
        entity="web",
        summary=f"web: {refused.msg}"[:500],
    )
