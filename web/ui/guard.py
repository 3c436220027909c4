"""Which requests reach a page without a session, and where a sign-in may send you back.

The allow-list is explicit: the sign-in page, NiceGUI's own assets and websocket, the REST
API (it checks its own bearer tokens) and the operations endpoints. Everything else needs
a signed-in browser; the page itself then checks the user against the database.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response

from web.ui.session import NAME

OPEN_PATHS = frozenset({"/login", "/healthz", "/readyz", "/metrics", "/favicon.ico"})
OPEN_PREFIXES = ("/_nicegui/", "/api/")


def is_open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def safe_redirect(target: str | None) -> str:
    """``target`` if it is a path on this site, else ``/``: never another host
    (``//evil``, ``https://evil``, ``/\\evil``), never a scheme (``javascript:``)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if any(ch in target for ch in "\\\r\n\t") or any(ord(ch) < 0x20 for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def login_url(path: str) -> str:
    return "/login" if path in ("", "/") else f"/login?redirect_to={quote(path, safe='/')}"


class SignInRequired(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        from nicegui import app  # storage is only usable inside a request

        if is_open(request.url.path) or app.storage.user.get(NAME):
            return await call_next(request)
        return RedirectResponse(login_url(request.url.path), status_code=303)
