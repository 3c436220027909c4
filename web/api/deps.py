"""Typed dependencies of the REST API: the ``Core``, the acting user and the permission
each route needs.

Every route declares its permission with ``require(Permission.X)`` (through the ``Can*``
aliases below). ``permission_of(route)`` finds it again in the route's dependency tree:
the authorization-matrix test uses it to hold every route to the permission table, and
the app factory writes it into the OpenAPI document as ``x-permission``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Path, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core import forwarded
from core.errors import NotFound, PermissionDenied, Unauthenticated
from core.models import Actor, Origin
from core.permissions import Permission, authorize
from core.runtime import Core
from core.services import audit, sessions, users
from core.tokens import TokenIssuer
from web.api.schemas import Page

T = TypeVar("T")

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
MAX_OFFSET = 100_000
MAX_ID = 2**63 - 1
"""The largest id a database row can have (a signed 64-bit integer)."""
SIGN_IN = "sign in first: send Authorization: Bearer <access token>"
SESSION_ENDED = "this session has ended (signed out, or the password changed); sign in again"

bearer = HTTPBearer(
    auto_error=False,
    description="An access token from POST /api/v1/auth/login (15 minutes).",
)


def get_core(request: Request) -> Core:
    return request.app.state.core


def get_tokens(request: Request) -> TokenIssuer:
    return request.app.state.tokens


CoreDep = Annotated[Core, Depends(get_core)]
TokensDep = Annotated[TokenIssuer, Depends(get_tokens)]


def client_address(request: Request) -> str | None:
    """The client's address: the peer's, or behind a trusted proxy (``trusted_proxies``)
    the rightmost untrusted hop of ``X-Forwarded-For`` (``core.forwarded``)."""
    peer = request.client.host if request.client else None
    forwarded_for = ",".join(request.headers.getlist("x-forwarded-for")) or None
    trusted = get_core(request).settings.trusted_proxy_networks
    return forwarded.client_address(peer, forwarded_for, trusted)


def _signed_in(
    request: Request,
    core: Core,
    tokens: TokenIssuer,
    credentials: HTTPAuthorizationCredentials | None,
    *,
    ended_too: bool,
) -> Actor:
    if credentials is None:
        raise Unauthenticated(SIGN_IN)
    claims = tokens.verify(credentials.credentials)
    with core.db.reader() as session:
        try:
            user = users.get_user(session=session, name=claims.sub)
        except NotFound:
            raise Unauthenticated("invalid or expired token") from None
        live = sessions.session_is_live(
            session=session, user_id=user.id, session_id=claims.sid, now=core.clock.now()
        )
    if not live and not ended_too:
        raise Unauthenticated(SESSION_ENDED)
    if user.disabled:
        raise Unauthenticated("this account is disabled")
    if user.role != claims.role:
        raise Unauthenticated("the token's role is out of date; sign in again")
    actor = Actor(
        name=user.name, origin=Origin.API, role=user.role, address=client_address(request)
    )
    request.state.actor = actor
    request.state.session_id = claims.sid
    return actor


def current_actor(
    request: Request,
    core: CoreDep,
    tokens: TokensDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The signed-in user behind a valid access token of a live session. The role comes
    from the database, so a role change applies at once; a token whose role claim no
    longer matches (stale, or tampered) is refused, as is one for a user deleted or
    disabled since, or one whose session ended (logout, password change or reset,
    refresh-token reuse)."""
    return _signed_in(request, core, tokens, credentials, ended_too=False)


def ending_actor(
    request: Request,
    core: CoreDep,
    tokens: TokensDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """``current_actor`` for logging out, where a session that ended already is no error
    (logging out twice is harmless); ``request.state.session_id`` is the one to end."""
    actor = _signed_in(request, core, tokens, credentials, ended_too=True)
    authorize(actor, Permission.READ)
    return actor


ending_actor.warden_permission = Permission.READ  # type: ignore[attr-defined]


def record_refusal(request: Request, error: PermissionDenied, action: str) -> None:
    """Audit a refused attempt once per request (the route's check or a service's)."""
    actor: Actor | None = getattr(request.state, "actor", None)
    if actor is None or getattr(request.state, "refusal_recorded", False):
        return
    request.state.refusal_recorded = True
    path = request.url.path
    audit.record_denied(
        db=get_core(request).db,
        actor=actor,
        action=action,
        entity="api",
        entity_id=path[:64],
        summary=f"{request.method} {path} refused: {error.msg}"[:500],
    )


LOGIN_PATH_SUFFIX = "/auth/login"


def on_unauthenticated(request: Request, error: Unauthenticated) -> None:
    """Audit a 401 (no token, a forged or expired one, an ended session, a bad refresh
    token or device key), aggregated per address and reason a minute. A failed login is
    audited by the login itself."""
    if request.url.path.endswith(LOGIN_PATH_SUFFIX):
        return
    record_unauthenticated(request, error.msg)


def record_unauthenticated(request: Request, reason: str, *, who: str = "anonymous") -> None:
    core = get_core(request)
    path = request.url.path
    audit.record_refusal_now(
        db=core.db,
        actor=Actor(name=who, origin=Origin.API, address=client_address(request)),
        kind="auth.refused",
        reason=reason,
        summary=f"{request.method} {path[:200]} refused: {reason}",
        now=core.clock.now(),
    )


def on_service_refusal(request: Request, error: PermissionDenied) -> None:
    """A service refused what the route allowed (defence in depth): audit it too."""
    record_refusal(request, error, action=f"{request.method} {request.url.path}")


_REQUIRES: dict[Permission, Callable[..., Actor]] = {}


def require(permission: Permission) -> Callable[..., Actor]:
    """A dependency giving the acting user if their role allows ``permission``; a refusal
    is audited (outcome ``denied``) and answered 403."""
    if permission in _REQUIRES:
        return _REQUIRES[permission]

    def dependency(request: Request, actor: Annotated[Actor, Depends(current_actor)]) -> Actor:
        try:
            authorize(actor, permission)
        except PermissionDenied as error:
            record_refusal(request, error, action=permission.value)
            raise
        return actor

    dependency.__name__ = f"require_{permission.name.lower()}"
    dependency.warden_permission = permission  # type: ignore[attr-defined]
    _REQUIRES[permission] = dependency
    return dependency


def permission_of(route: APIRoute) -> Permission | None:
    """The permission a route requires, found in its dependency tree (None: none)."""

    def walk(dependants: Sequence[Dependant]) -> Permission | None:
        for dependant in dependants:
            found = getattr(dependant.call, "warden_permission", None)
            if found is not None:
                return found
            found = walk(dependant.dependencies)
            if found is not None:
                return found
        return None

    return walk(route.dependant.dependencies)


CanRead = Annotated[Actor, Depends(require(Permission.READ))]
CanEndSession = Annotated[Actor, Depends(ending_actor)]
CanWriteFindings = Annotated[Actor, Depends(require(Permission.FINDINGS_WRITE))]
CanWriteIntents = Annotated[Actor, Depends(require(Permission.INTENTS_WRITE))]
CanDecideActions = Annotated[Actor, Depends(require(Permission.ACTIONS_DECIDE))]
CanSendCommands = Annotated[Actor, Depends(require(Permission.COMMANDS_SEND))]
CanWriteDevices = Annotated[Actor, Depends(require(Permission.DEVICES_WRITE))]
CanManageKeys = Annotated[Actor, Depends(require(Permission.DEVICE_KEYS))]
CanWriteCatalog = Annotated[Actor, Depends(require(Permission.CATALOG_WRITE))]
CanWriteMaintenance = Annotated[Actor, Depends(require(Permission.MAINTENANCE_WRITE))]
CanManageUsers = Annotated[Actor, Depends(require(Permission.USERS_MANAGE))]
CanReadAudit = Annotated[Actor, Depends(require(Permission.AUDIT_READ))]


@dataclass(frozen=True)
class Paging:
    """``limit`` and ``offset`` of a list request, handed to the listing services, which
    page in SQL and answer a ``Page``. ``fetch`` and ``page`` slice a list for the routes
    whose service does not page yet (intents, the rule catalog)."""

    limit: int
    offset: int

    @property
    def fetch(self) -> int:
        return self.offset + self.limit + 1

    def page(self, rows: Sequence[T]) -> Page[T]:
        items = list(rows[self.offset : self.offset + self.limit])
        more = len(rows) > self.offset + self.limit
        return Page(
            items=items,
            limit=self.limit,
            offset=self.offset,
            next_offset=self.offset + self.limit if more else None,
        )


def paging(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = (
        DEFAULT_LIMIT
    ),
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> Paging:
    return Paging(limit=limit, offset=offset)


PagingDep = Annotated[Paging, Depends(paging)]

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="The row's id (1 to 2^63 - 1).")]
"""An integer id in a path: outside what a row can have is a 422, not a failed query."""
