"""``/auth``: sign in with a password, renew with a refresh token, sign out, who am I,
change my password."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from core.models import Origin, UserPublic
from core.services import sessions, users
from core.tokens import TokenIssuer
from web.api.deps import CanEndSession, CanRead, CoreDep, TokensDep, client_address
from web.api.schemas import LoginIn, OwnPasswordIn, RefreshIn, TokenPair

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/login", response_model=TokenPair)
def login(body: LoginIn, request: Request, core: CoreDep, tokens: TokensDep) -> TokenPair:
    """A fresh access token and refresh token. A wrong password and an unknown user get
    the same answer; repeated failures are slowed down (429 with Retry-After)."""
    now = core.clock.now()
    with core.db.writer() as session:
        user = users.login(
            session=session,
            name=body.name,
            password=body.password,
            address=client_address(request),
            now=now,
            origin=Origin.API,
            proxy=request.client.host if request.client else None,
            clock=core.clock,
        )
        signed_in = sessions.start_session(
            session=session, user=user, now=now, ttl_s=core.settings.refresh_ttl_s
        )
    return _pair(tokens, signed_in)


@router.post("/refresh", response_model=TokenPair)
def refresh(body: RefreshIn, request: Request, core: CoreDep, tokens: TokensDep) -> TokenPair:
    """Trade a refresh token for a new pair. Each refresh token works once: presenting a
    used one again ends its session (every access token of it too). Anything that is not
    a live refresh token, an access token included, gets 401."""
    with core.db.writer() as session:
        renewed = sessions.renew(
            session=session,
            token=body.refresh_token,
            now=core.clock.now(),
            address=client_address(request),
        )
    return _pair(tokens, renewed)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(
    request: Request, core: CoreDep, actor: CanEndSession, body: RefreshIn | None = None
) -> None:
    """End this session: its refresh tokens are revoked and the access token stops
    working at once. The refresh token in the body, if sent, ends its session too."""
    now = core.clock.now()
    with core.db.writer() as session:
        user = users.get_user(session=session, name=actor.name)
        sessions.end_session(
            session=session,
            user_id=user.id,
            session_id=request.state.session_id,
            actor=actor,
            now=now,
        )
        if body is not None:
            sessions.revoke_refresh(session=session, token=body.refresh_token, now=now)


def _pair(tokens: TokenIssuer, signed_in: sessions.SignIn) -> TokenPair:
    return TokenPair(
        access_token=tokens.issue(signed_in.user, session_id=signed_in.session_id),
        refresh_token=signed_in.refresh_token,
        expires_in=tokens.ttl_s,
    )


@router.get("/me", response_model=UserPublic)
def me(core: CoreDep, actor: CanRead) -> UserPublic:
    with core.db.reader() as session:
        return users.get_user(session=session, name=actor.name)


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT)
def change_password(body: OwnPasswordIn, core: CoreDep, actor: CanRead) -> None:
    """Change your own password: the current one (403 when wrong) and a new one (checked
    against the policy). Every session of yours ends; sign in again."""
    with core.db.writer() as session:
        users.set_password(
            session=session,
            name=actor.name,
            password=body.password,
            current_password=body.current_password,
            actor=actor,
            now=core.clock.now(),
        )
