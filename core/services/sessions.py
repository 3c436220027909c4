"""Refresh tokens (ASVS 5.0 V7): random, stored as SHA-256 digests, rotated on every use.

The tokens of one login form a *family*. Using a token twice means it was copied (the
legitimate client got a new one the first time), so the whole family is revoked and both
holders must log in again. A family lives at most ``ttl_s`` from its login: rotation hands
out a new token, not more time (an absolute session lifetime, V7.3.2).

A family is also the *session* of the access tokens issued with it (their ``sid`` claim):
``session_is_live`` is checked on every request, so logging out, a password change, an
admin's reset, disabling and reuse detection end the access tokens at once, not when they
run out (V7.4.1).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select, update

from core.errors import Unauthenticated
from core.models import Actor, Origin, Outcome, RefreshToken, User, UserPublic
from core.services.changes import record_change

DEFAULT_REFRESH_TTL_S = 14 * 86_400
INVALID = "invalid or expired refresh token"


def token_digest(token: str) -> str:
    """What is stored: a SHA-256 digest is enough for a 256-bit random secret."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token(session: Session, *, user_id: int, family: str, expires_at: datetime) -> str:
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user_id,
            family=family,
            token_hash=token_digest(token),
            expires_at=expires_at,
        )
    )
    return token


@dataclass(frozen=True, slots=True)
class SignIn:
    """A signed-in session: its user, its id (the refresh family, the access tokens'
    ``sid``) and its current refresh token (given out once)."""

    user: UserPublic
    session_id: str
    refresh_token: str


def issue_refresh(
    *,
    session: Session,
    user_id: int,
    now: datetime,
    family: str | None = None,
    ttl_s: int = DEFAULT_REFRESH_TTL_S,
) -> str:
    """A new refresh token (returned once, stored as a digest); a new family unless one
    is given. Pass ``ttl_s=settings.refresh_ttl_s``."""
    token = _new_token(
        session,
        user_id=user_id,
        family=family or secrets.token_hex(16),
        expires_at=now + timedelta(seconds=ttl_s),
    )
    session.commit()
    return token


def start_session(
    *, session: Session, user: UserPublic, now: datetime, ttl_s: int = DEFAULT_REFRESH_TTL_S
) -> SignIn:
    """A new session for a user who just proved who they are."""
    family = secrets.token_hex(16)
    token = issue_refresh(session=session, user_id=user.id, now=now, family=family, ttl_s=ttl_s)
    return SignIn(user=user, session_id=family, refresh_token=token)


def session_is_live(*, session: Session, user_id: int, session_id: str, now: datetime) -> bool:
    """Whether the user's session ``session_id`` still holds a refresh token that is
    neither revoked nor expired (the check every access token passes)."""
    found = session.exec(
        select(RefreshToken.id)
        .where(
            RefreshToken.family == session_id,
            RefreshToken.user_id == user_id,
            col(RefreshToken.revoked_at).is_(None),
            RefreshToken.expires_at > now,
        )
        .limit(1)
    ).first()
    return found is not None


def rotate_refresh(*, session: Session, token: str, now: datetime) -> tuple[UserPublic, str]:
    """``renew`` answering the user and the new refresh token."""
    renewed = renew(session=session, token=token, now=now)
    return renewed.user, renewed.refresh_token


def renew(*, session: Session, token: str, now: datetime, address: str | None = None) -> SignIn:
    """Exchange a refresh token for a new token of the same family (session).

    ``Unauthenticated`` for an unknown, revoked or expired token or a disabled user; a
    token used before revokes its family first (audited with ``address``)."""
    row = session.exec(
        select(RefreshToken).where(RefreshToken.token_hash == token_digest(token))
    ).first()
    if row is None or row.revoked_at is not None:
        raise Unauthenticated(INVALID)
    user = session.get(User, row.user_id)
    if user is None:
        raise Unauthenticated(INVALID)
    if row.used_at is not None:
        _revoke_family(session, row.family, now)
        record_change(
            session=session,
            actor=Actor(name=user.name, origin=Origin.API, address=address),
            kind="auth.refresh_reused",
            entity="user",
            entity_id=user.name,
            summary=f"a used refresh token of {user.name} came back: its session is revoked",
            outcome=Outcome.DENIED,
        )
        session.commit()
        raise Unauthenticated(INVALID)
    if row.expires_at <= now or user.disabled:
        raise Unauthenticated(INVALID)
    row.used_at = now
    session.add(row)
    new = _new_token(session, user_id=row.user_id, family=row.family, expires_at=row.expires_at)
    record_change(
        session=session,
        actor=Actor(name=user.name, origin=Origin.API, address=address),
        kind="auth.refreshed",
        entity="user",
        entity_id=user.name,
        summary=f"{user.name} renewed a session's tokens",
    )
    session.commit()
    return SignIn(
        user=UserPublic.model_validate(user, from_attributes=True),
        session_id=row.family,
        refresh_token=new,
    )


def revoke_refresh(*, session: Session, token: str, now: datetime) -> None:
    """Log out: revoke the token's whole family. An unknown token is no error (logging
    out twice is harmless)."""
    row = session.exec(
        select(RefreshToken).where(RefreshToken.token_hash == token_digest(token))
    ).first()
    if row is None:
        return
    _revoke_family(session, row.family, now)
    session.commit()


def end_session(
    *, session: Session, user_id: int, session_id: str, actor: Actor, now: datetime
) -> None:
    """Log out of the session of an access token: its refresh tokens are revoked, so it
    and every access token issued in it stop working at once. Audited as ``auth.logout``."""
    session.exec(
        update(RefreshToken)
        .where(
            col(RefreshToken.family) == session_id,
            col(RefreshToken.user_id) == user_id,
            col(RefreshToken.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    record_change(
        session=session,
        actor=actor,
        kind="auth.logout",
        entity="user",
        entity_id=actor.name,
        summary=f"{actor.name} signed out",
    )
    session.commit()


def revoke_user_tokens(*, session: Session, user_id: int, now: datetime) -> int:
    """Revoke every live refresh token of a user; returns how many."""
    count = revoke_user_tokens_uncommitted(session, user_id, now)
    session.commit()
    return count


def revoke_user_tokens_uncommitted(session: Session, user_id: int, now: datetime) -> int:
    """``revoke_user_tokens`` inside the caller's unit of work (password or role change)."""
    result = session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.user_id) == user_id, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount or 0


def _revoke_family(session: Session, family: str, now: datetime) -> None:
    session.exec(
        update(RefreshToken)
        .where(col(RefreshToken.family) == family, col(RefreshToken.revoked_at).is_(None))
        .values(revoked_at=now)
    )
