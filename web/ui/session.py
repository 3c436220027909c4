"""Who is signed in to this browser, checked against the database on every use.

The browser's NiceGUI user storage (server-side, keyed by a signed session cookie) holds
only the user's name and the ``updated_at`` stamp of their account at sign-in. Every page
load and every event handler calls ``current_user``: a user since disabled, deleted, given
a new password or a new role is signed out there and then, and the role used for the
check is the database's, never one remembered by the page.
"""

from __future__ import annotations

from nicegui import app, context

from core import forwarded
from core.errors import NotFound
from core.models import Actor, Origin, UserPublic
from core.services import users
from web.ui.context import web
from web.ui.offload import io_bound

NAME = "name"
STAMP = "stamp"


def sign_in(user: UserPublic) -> None:
    app.storage.user.update({NAME: user.name, STAMP: user.updated_at.isoformat()})


def sign_out() -> None:
    app.storage.user.clear()


async def current_user() -> UserPublic | None:
    """The signed-in user as the database knows them now, or None (and signed out)."""
    name = app.storage.user.get(NAME)
    if not name:
        return None
    user = await io_bound(_lookup, name)
    if user is None or user.disabled or user.updated_at.isoformat() != app.storage.user.get(STAMP):
        sign_out()
        return None
    return user


def _lookup(name: str) -> UserPublic | None:
    try:
        with web().core.db.reader() as session:
            return users.get_user(session=session, name=name)
    except NotFound:
        return None


def client_address() -> str | None:
    """The browser's address: the peer's, or behind a trusted proxy the client named by
    ``X-Forwarded-For`` (the same rule as the REST API's, ``core.forwarded``)."""
    try:
        request = context.client.request
    except RuntimeError:  # outside a page (a startup task)
        return None
    if request is None:
        return None
    peer = request.client.host if request.client else None
    forwarded_for = ",".join(request.headers.getlist("x-forwarded-for")) or None
    trusted = web().core.settings.trusted_proxy_networks
    return forwarded.client_address(peer, forwarded_for, trusted)


def actor_for(user: UserPublic) -> Actor:
    return Actor(name=user.name, origin=Origin.WEB, role=user.role, address=client_address())
