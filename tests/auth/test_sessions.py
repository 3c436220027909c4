"""Refresh tokens: rotation, reuse detection (the whole family goes), logout, expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from core.errors import Unauthenticated
from core.models import ChangeLog, Outcome, RefreshToken, Role
from core.runtime import Core
from core.services import sessions, users
from tests.factories import EPOCH_2026, actor

pytestmark = pytest.mark.usefixtures("fast_bcrypt")


@pytest.fixture
def user_id(core: Core) -> int:
    with core.db.writer() as session:
        return users.add_user(
            session=session,
            name="olga",
            password="violet-harbour-29-kettle",
            role=Role.OPERATOR,
            actor=actor(),
            now=EPOCH_2026,
        ).id


def issue(core: Core, user_id: int, **kw) -> str:
    with core.db.writer() as session:
        return sessions.issue_refresh(session=session, user_id=user_id, now=EPOCH_2026, **kw)


def rotate(core: Core, token: str, at=EPOCH_2026):
    with core.db.writer() as session:
        return sessions.rotate_refresh(session=session, token=token, now=at)


def test_tokens_are_stored_only_as_digests(core: Core, user_id: int):
    token = issue(core, user_id)
    with core.db.reader() as session:
        row = session.exec(select(RefreshToken)).one()
    assert row.token_hash == sessions.token_digest(token) != token
    assert len(token) >= 43  # 32 random bytes


def test_rotation_gives_a_new_token_of_the_same_family(core: Core, user_id: int):
    first = issue(core, user_id)
    user, second = rotate(core, first)
    assert user.name == "olga" and second != first
    rotate(core, second)
    with core.db.reader() as session:
        families = {r.family for r in session.exec(select(RefreshToken))}
    assert len(families) == 1


def test_a_reused_token_revokes_its_whole_family(core: Core, user_id: int):
    first = issue(core, user_id)
    other_login = issue(core, user_id)
    _, second = rotate(core, first)
    with pytest.raises(Unauthenticated):
        rotate(core, first)  # replayed by a thief
    with pytest.raises(Unauthenticated):
        rotate(core, second)  # the legitimate holder has to log in again too
    rotate(core, other_login)  # another login of the same user is untouched
    with core.db.reader() as session:
        reuse = session.exec(select(ChangeLog).where(ChangeLog.kind == "auth.refresh_reused")).one()
    assert (reuse.outcome, reuse.actor) == (Outcome.DENIED, "olga")


def test_logout_revokes_the_family_and_unknown_tokens_are_no_error(core: Core, user_id: int):
    first = issue(core, user_id)
    _, second = rotate(core, first)
    with core.db.writer() as session:
        sessions.revoke_refresh(session=session, token=second, now=EPOCH_2026)
        sessions.revoke_refresh(session=session, token="never-issued", now=EPOCH_2026)
    with pytest.raises(Unauthenticated):
        rotate(core, second)


def test_expired_and_unknown_tokens_are_refused(core: Core, user_id: int):
    token = issue(core, user_id, ttl_s=3600)
    with pytest.raises(Unauthenticated):
        rotate(core, token, at=EPOCH_2026 + timedelta(hours=1))
    with pytest.raises(Unauthenticated):
        rotate(core, "made-up")


def test_rotation_does_not_extend_the_session(core: Core, user_id: int):
    token = issue(core, user_id, ttl_s=3600)
    _, token = rotate(core, token, at=EPOCH_2026 + timedelta(minutes=50))
    with pytest.raises(Unauthenticated):
        rotate(core, token, at=EPOCH_2026 + timedelta(minutes=61))


def test_revoke_user_tokens_counts_the_live_ones(core: Core, user_id: int):
    issue(core, user_id)
    issue(core, user_id)
    with core.db.writer() as session:
        assert sessions.revoke_user_tokens(session=session, user_id=user_id, now=EPOCH_2026) == 2
        assert sessions.revoke_user_tokens(session=session, user_id=user_id, now=EPOCH_2026) == 0
