"""``/auth``: sign in with a password, renew with a refresh token, sign out, who am I,
change my password."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from core.models import Origin, UserPublic
from core.services import sessions, users
from web.api.deps import CanRead, CoreDep, TokensDep, client_address
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
        )
        refresh = sessions.issue_refresh(session=session, user_id=user.id, now=now)
    return TokenPair(
        access_token=tokens.issue(user), refresh_token=refresh, expires_in=tokens.ttl_s
    )


@router.post("/refresh", response_model=TokenPair)
def refresh(body: RefreshIn, core: CoreDep, tokens: TokensDep) -> TokenPair:
    """Trade a refresh token for a new pair. Each refresh token works once: presenting a
    used one again revokes every token of its sign-in."""
    with core.db.writer() as session:
        user, renewed = sessions.rotate_refresh(
            session=session, token=body.refresh_token, now=core.clock.now()
        )
    return TokenPair(
        access_token=tokens.issue(user), refresh_token=renewed, expires_in=tokens.ttl_s
    )


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(body: RefreshIn, core: CoreDep, actor: CanRead) -> None:
    """Revoke the refresh token of this sign-in; the access token runs out on its own."""
    with core.db.writer() as session:
        sessions.revoke_refresh(session=session, token=body.refresh_token, now=core.clock.now())


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
