"""Users, their roles and logging in (ASVS 5.0 V6).

There is no default account: the first admin comes from ``warden users add`` or the demo.
Logins answer the same for an unknown name, a wrong password and a disabled account, and
take as long (an unknown name is checked against ``DUMMY_HASH``). Failures are throttled
(ASVS 5.0 V6.3.1) per account *from one client address*: from the fifth failure on, each
failure blocks that pair for 2**(failures - 5) s (1, 2, 4, ... s, at most ``MAX_BLOCK``, 15
min), and while blocked a login is refused without looking at the password. The owner
signing in from elsewhere is not locked out, and after the block a correct password gets
in and clears the pair. Each address (and each trusted proxy, so a rewritten
X-Forwarded-For buys nothing) is throttled the same way across accounts from the 20th
failure. A block starts when the bcrypt check ends. Guessing is slow (under 20 tries an
hour per account and address, ASVS asks for at most 100) but an account is never locked
for good, and a count is forgotten after an hour without failures. Every attempt is
audited.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core.clock import Clock
from core.db import insert_ignore
from core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Throttled,
    Unauthenticated,
)
from core.models import Actor, LoginThrottle, Origin, Outcome, Role, User, UserPublic
from core.passwords import DUMMY_HASH, check_policy, hash_password, verify_password
from core.permissions import Permission, authorize
from core.services import audit
from core.services.changes import record_change
from core.services.paging import Page, page_of, window
from core.services.sessions import revoke_user_tokens_uncommitted

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_.-]{1,31}")
THROTTLE_AFTER = 5
"""Failures of one account from one address before each further one blocks."""
ADDRESS_THROTTLE_AFTER = 20
"""Failures from one address (or through one trusted proxy), any accounts, before each
further one blocks: several people share an address behind NAT."""
MAX_BLOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)
"""A key's failures are forgotten after this long without a new one."""
LOGIN_FAILED = "invalid name or password"


def _public(user: User) -> UserPublic:
    return UserPublic.model_validate(user, from_attributes=True)


def _get(session: Session, name: str) -> User:
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        raise NotFound(f"no user {name!r}; `warden users list` shows them")
    return user


def _change(session: Session, actor: Actor, user: User, verb: str, summary: str) -> None:
    record_change(
        session=session,
        actor=actor,
        kind=f"user.{verb}",
        entity="user",
        entity_id=user.name,
        summary=summary,
    )


def _refuse_losing_last_admin(session: Session, user: User) -> None:
    """Conflict when ``user`` is the only enabled admin (nobody could manage users)."""
    if user.role != Role.ADMIN or user.disabled:
        return
    others = session.exec(
        select(User.id).where(
            User.role == Role.ADMIN, col(User.disabled).is_(False), User.id != user.id
        )
    ).first()
    if others is None:
        raise Conflict(f"{user.name} is the last enabled admin; make another admin first")


def add_user(
    *, session: Session, name: str, password: str, role: Role, actor: Actor, now: datetime
) -> UserPublic:
    authorize(actor, Permission.USERS_MANAGE)
    if not NAME_PATTERN.fullmatch(name):
        raise InvalidInput(
            f"{name!r} is not a user name: 2-32 of a-z 0-9 _ . -, starting with a letter"
        )
    check_policy(password, name=name)
    if session.exec(select(User.id).where(User.name == name)).first() is not None:
        raise Conflict(f"user {name} exists already")
    user = User(
        name=name,
        password_hash=hash_password(password),
        role=Role(role),
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    _change(session, actor, user, "added", f"user {name} added as {user.role}")
    session.commit()
    return _public(user)


def set_password(
    *,
    session: Session,
    name: str,
    password: str,
    actor: Actor,
    now: datetime,
    current_password: str | None = None,
) -> UserPublic:
    """Users may change their own password, giving the current one (a stolen session
    alone cannot take the account over); other people's need ``USERS_MANAGE`` and no
    current password. An actor without a role (the local CLI operator, who owns the
    database file) needs none either. Every session of the user ends (their refresh
    tokens are revoked). ``PermissionDenied`` when the current password is missing or
    wrong."""
    own = actor.name == name and actor.role is not None
    if actor.name != name:
        authorize(actor, Permission.USERS_MANAGE)
    user = _get(session, name)
    if own:
        if not current_password:
            raise PermissionDenied("give your current password to change it")
        if not verify_password(current_password, user.password_hash):
            raise PermissionDenied("the current password is wrong; the password is unchanged")
    check_policy(password, name=name)
    user.password_hash = hash_password(password)
    user.updated_at = now
    session.add(user)
    revoke_user_tokens_uncommitted(session, user.id, now)  # type: ignore[arg-type]
    _change(session, actor, user, "password_changed", f"password of {name} changed")
    session.commit()
    return _public(user)


def set_role(*, session: Session, name: str, role: Role, actor: Actor, now: datetime) -> UserPublic:
    authorize(actor, Permission.USERS_MANAGE)
    user = _get(session, name)
    role = Role(role)
    if user.role == role:
        return _public(user)
    if role != Role.ADMIN:
        _refuse_losing_last_admin(session, user)
    old = user.role
    user.role, user.updated_at = role, now
    session.add(user)
    revoke_user_tokens_uncommitted(session, user.id, now)  # type: ignore[arg-type]
    _change(session, actor, user, "role_changed", f"{name}: role {old} -> {role}")
    session.commit()
    return _public(user)


def set_disabled(
    *, session: Session, name: str, disabled: bool, actor: Actor, now: datetime
) -> UserPublic:
    authorize(actor, Permission.USERS_MANAGE)
    user = _get(session, name)
    if disabled:
        _refuse_losing_last_admin(session, user)
        revoke_user_tokens_uncommitted(session, user.id, now)  # type: ignore[arg-type]
    if user.disabled != disabled:
        user.disabled, user.updated_at = disabled, now
        session.add(user)
        verb = "disabled" if disabled else "enabled"
        _change(session, actor, user, verb, f"user {name} {verb}")
    session.commit()
    return _public(user)


def list_users(
    *, session: Session, actor: Actor, offset: int = 0, limit: int = 1000
) -> Page[UserPublic]:
    """Accounts by name."""
    authorize(actor, Permission.USERS_MANAGE)
    query = window(select(User).order_by(col(User.name)), offset=offset, limit=limit)
    return page_of([_public(u) for u in session.exec(query)], offset=offset, limit=limit)


def get_user(*, session: Session, name: str) -> UserPublic:
    return _public(_get(session, name))


def has_users(*, session: Session) -> bool:
    return session.exec(select(User.id).limit(1)).first() is not None


def login(
    *,
    session: Session,
    name: str,
    password: str,
    address: str | None,
    now: datetime,
    origin: Origin = Origin.API,
    proxy: str | None = None,
    clock: Clock | None = None,
) -> UserPublic:
    """Check a name and password. ``Throttled`` while the account is blocked for this
    client address, or the address is (the password is not even checked), else
    ``Unauthenticated`` with one message for every kind of failure. ``proxy``: the
    trusted proxy the request came through (its own limit cannot be dodged by a
    rewritten ``X-Forwarded-For``). ``clock``: read again after the bcrypt check, so a
    failure's block starts when it is known. Commits the throttle state and the audit
    row either way."""
    name = name.strip().lower()[:64]
    actor = Actor(name=name or "-", origin=origin, address=address)
    limits = _limits(name, address, proxy)
    throttles = [_throttle(session, key) for key, _ in limits]
    blocked = [t.blocked_until for t in throttles if t.blocked_until and t.blocked_until > now]
    if blocked:
        retry = max(1, math.ceil((max(blocked) - now).total_seconds()))
        audit.record_refusal(
            session=session,
            actor=actor,
            kind="auth.login_throttled",
            reason="login throttled",
            summary=f"login as {name} throttled (repeats within a minute are counted)",
            now=now,
        )
        session.commit()
        raise Throttled(f"too many failed logins; try again in {retry} s", retry_after_s=retry)
    user = session.exec(select(User).where(User.name == name)).first()
    if user is None:
        verify_password(password, DUMMY_HASH)  # as slow as a real check
        why = "unknown user"
    elif not verify_password(password, user.password_hash):
        why = "wrong password"
    elif user.disabled:
        why = "user disabled"
    else:
        user.last_login_at = now
        session.add(user)
        _forgive(session, throttles)
        _audit_login(session, actor, Outcome.OK, f"{name} logged in")
        session.commit()
        return _public(user)
    checked_at = clock.now() if clock is not None else now
    for key, after in limits:
        throttle = _throttle_row(session, key)
        _count_failure(throttle, checked_at, after)
        session.add(throttle)
    _audit_login(session, actor, Outcome.DENIED, f"login as {name} failed: {why}")
    session.commit()
    raise Unauthenticated(LOGIN_FAILED)


def _limits(name: str, address: str | None, proxy: str | None) -> list[tuple[str, int]]:
    """The throttle keys a login attempt counts against, with the failures each allows
    before blocking: the account from this address (the owner elsewhere is not locked
    out), the address across accounts, and the trusted proxy it came through."""
    if address is None:
        return [(f"user:{name}", THROTTLE_AFTER)]
    limits = [
        (f"user:{name}@{address}"[:120], THROTTLE_AFTER),
        (f"addr:{address[:100]}", ADDRESS_THROTTLE_AFTER),
    ]
    if proxy is not None and proxy != address:
        limits.append((f"proxy:{proxy[:100]}", ADDRESS_THROTTLE_AFTER))
    return limits


def _forgive(session: Session, throttles: list[LoginThrottle]) -> None:
    """A correct password clears the account's failures from this address and takes
    them off the address's (and proxy's) count: the owner's typos stop counting against
    the others there, and nobody's success forgives anyone else's failures."""
    account, *wider = throttles
    if account.id is None or account.failures == 0:
        return
    for throttle in wider:
        if throttle.id is not None:
            throttle.failures = max(0, throttle.failures - account.failures)
            session.add(throttle)
    account.failures, account.blocked_until = 0, None
    session.add(account)


def _throttle(session: Session, key: str) -> LoginThrottle:
    """The key's row, locked until the commit (PostgreSQL: a concurrent login of the same
    key waits, then reads what this one wrote), or an unsaved one with no failures."""
    found = session.exec(
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    return found or LoginThrottle(key=key)


def _throttle_row(session: Session, key: str) -> LoginThrottle:
    """The key's stored row, made if missing. Two first failures at once both insert:
    the insert skips a row that exists (or waits for the other transaction and then
    skips it), so neither fails on the unique key, and both count on the same row."""
    if session.exec(select(LoginThrottle.id).where(LoginThrottle.key == key)).first() is None:
        table = LoginThrottle.__table__  # type: ignore[attr-defined]
        session.execute(insert_ignore(session, table).values(key=key, failures=0))
    return session.exec(
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _count_failure(throttle: LoginThrottle, now: datetime, after: int) -> None:
    last = throttle.last_failure_at
    if last is not None and now - last > FORGET_AFTER:
        throttle.failures = 0
    throttle.failures += 1
    throttle.last_failure_at = now
    if throttle.failures >= after:
        block = timedelta(seconds=2 ** min(throttle.failures - after, 20))
        throttle.blocked_until = now + min(block, MAX_BLOCK)


def _audit_login(session: Session, actor: Actor, outcome: Outcome, summary: str) -> None:
    record_change(
        session=session,
        actor=actor,
        kind="auth.login" if outcome == Outcome.OK else "auth.login_failed",
        entity="user",
        entity_id=actor.name,
        summary=summary,
        outcome=outcome,
    )
