"""``/users`` (admin): accounts and their roles."""

from __future__ import annotations

from fastapi import APIRouter, status

from core.errors import InvalidInput
from core.models import UserPublic
from core.services import users
from web.api.deps import CanManageUsers, CoreDep, PagingDep
from web.api.schemas import Page, PasswordIn, UserCreateIn, UserUpdateIn

router = APIRouter(prefix="/users", tags=["users"])


@router.get("", response_model=Page[UserPublic])
def list_users(core: CoreDep, actor: CanManageUsers, paging: PagingDep) -> Page[UserPublic]:
    with core.db.reader() as session:
        return users.list_users(
            session=session, actor=actor, offset=paging.offset, limit=paging.limit
        )


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def add_user(body: UserCreateIn, core: CoreDep, actor: CanManageUsers) -> UserPublic:
    with core.db.writer() as session:
        return users.add_user(
            session=session,
            name=body.name,
            password=body.password,
            role=body.role,
            actor=actor,
            now=core.clock.now(),
        )


@router.patch("/{name}", response_model=UserPublic)
def update_user(name: str, body: UserUpdateIn, core: CoreDep, actor: CanManageUsers) -> UserPublic:
    """Change the role and/or disable or enable the account; either signs the user out
    (their refresh tokens are revoked, and their access tokens stop working at once)."""
    if body.role is None and body.disabled is None:
        raise InvalidInput("nothing to change: give role and/or disabled")
    now = core.clock.now()
    with core.db.writer() as session:
        user = users.get_user(session=session, name=name)
        if body.role is not None and body.role != user.role:
            user = users.set_role(session=session, name=name, role=body.role, actor=actor, now=now)
        if body.disabled is not None and body.disabled != user.disabled:
            user = users.set_disabled(
                session=session, name=name, disabled=body.disabled, actor=actor, now=now
            )
        return user


@router.post("/{name}/password", status_code=status.HTTP_204_NO_CONTENT)
def set_password(name: str, body: PasswordIn, core: CoreDep, actor: CanManageUsers) -> None:
    """A new password (checked against the policy); signs the user out everywhere. An
    admin's own password also needs ``current_password`` (or use ``POST /auth/password``)."""
    with core.db.writer() as session:
        users.set_password(
            session=session,
            name=name,
            password=body.password,
            current_password=body.current_password,
            actor=actor,
            now=core.clock.now(),
        )
