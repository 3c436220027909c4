"""Users, roles and logging in: the same answer for every failure, throttling that slows
guessing without locking anyone out for good, the last admin kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Throttled,
    Unauthenticated,
)
from core.models import Actor, Origin, Role
from core.runtime import Core
from core.services import sessions, users
from tests.factories import EPOCH_2026, actor

PASSWORD = "violet-harbour-29-kettle"
pytestmark = pytest.mark.usefixtures("fast_bcrypt")


def add(core: Core, name: str = "alice", role: Role = Role.ADMIN, by: Actor | None = None):
    with core.db.writer() as session:
        return users.add_user(
            session=session,
            name=name,
            password=PASSWORD,
            role=role,
            actor=by or actor(),
            now=EPOCH_2026,
        )


def login(core: Core, name: str, password: str = PASSWORD, *, at=EPOCH_2026, address="10.0.0.9"):
    with core.db.writer() as session:
        return users.login(session=session, name=name, password=password, address=address, now=at)


def as_role(role: Role, name: str = "someone") -> Actor:
    return Actor(name=name, origin=Origin.WEB, role=role)


def test_add_and_log_in(core: Core):
    with core.db.reader() as session:
        assert not users.has_users(session=session)
    added = add(core)
    assert (added.name, added.role, added.disabled) == ("alice", Role.ADMIN, False)
    user = login(core, "alice")
    assert user.last_login_at == EPOCH_2026
    with core.db.reader() as session:
        assert users.has_users(session=session)
        assert users.get_user(session=session, name="alice").last_login_at == EPOCH_2026


@pytest.mark.parametrize("name", ["a", "Alice", "1alice", "al ice", "x" * 33, "al;ice"])
def test_bad_names_are_refused(core: Core, name: str):
    with pytest.raises(InvalidInput):
        add(core, name)


def test_a_taken_name_conflicts(core: Core):
    add(core)
    with pytest.raises(Conflict):
        add(core)


def test_weak_passwords_are_refused_when_adding(core: Core):
    with core.db.writer() as session, pytest.raises(InvalidInput):
        users.add_user(
            session=session,
            name="bob",
            password="password1234",
            role=Role.VIEWER,
            actor=actor(),
            now=EPOCH_2026,
        )


def test_unknown_user_wrong_password_and_disabled_user_get_the_same_answer(core: Core):
    add(core, "alice")
    add(core, "bob", Role.VIEWER)
    with core.db.writer() as session:
        users.set_disabled(
            session=session, name="bob", disabled=True, actor=actor(), now=EPOCH_2026
        )
    messages = set()
    for name, password in (
        ("nobody", PASSWORD),
        ("alice", "wrong-but-long-enough"),
        ("bob", PASSWORD),
    ):
        with pytest.raises(Unauthenticated) as caught:
            login(core, name, password, address=None)
        messages.add(str(caught.value))
    assert messages == {"invalid name or password"}


def test_the_sixth_quick_failure_is_throttled_and_waiting_lets_the_user_in(core: Core):
    add(core)
    at = EPOCH_2026
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            login(core, "alice", "wrong-but-long-enough", at=at)
    with pytest.raises(Throttled) as caught:
        login(core, "alice", PASSWORD, at=at)  # refused without looking at the password
    assert caught.value.retry_after_s >= 1
    assert (
        login(core, "alice", at=at + timedelta(seconds=caught.value.retry_after_s)).name == "alice"
    )


def test_backoff_doubles_and_is_capped_so_no_account_is_locked_for_good(core: Core):
    add(core)
    at, waits = EPOCH_2026, []
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            login(core, "alice", "wrong-but-long-enough", at=at, address=None)
    for _ in range(12):
        with pytest.raises(Throttled) as caught:
            login(core, "alice", "wrong-but-long-enough", at=at, address=None)
        waits.append(caught.value.retry_after_s)
        at += timedelta(seconds=caught.value.retry_after_s)
        with pytest.raises(Unauthenticated):  # the wait is over: the password is checked
            login(core, "alice", "wrong-but-long-enough", at=at, address=None)
    assert waits == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900]
    assert login(core, "alice", at=at + timedelta(minutes=15), address=None).name == "alice"


def test_unknown_names_are_throttled_too(core: Core):
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            login(core, "ghost", address=None)
    with pytest.raises(Throttled):
        login(core, "ghost", address=None)


def test_one_address_is_throttled_across_names_and_success_forgives_only_its_own(core: Core):
    """Issue 15 item 15: the address counts every account's failures, from the 20th
    each one blocks it; a correct password takes off only that account's share."""
    add(core, "alice")
    add(core, "bob", Role.VIEWER)
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            login(core, "alice", "wrong-but-long-enough")
    for n in range(15):
        with pytest.raises(Unauthenticated):
            login(core, f"x{n}")
    login(core, "alice")  # 19 failures here, 4 of them alice's: 15 left
    for n in range(15, 19):
        with pytest.raises(Unauthenticated):
            login(core, f"x{n}")
    with pytest.raises(Unauthenticated):  # the 20th: the address is blocked from now on
        login(core, "x19")
    with pytest.raises(Throttled):
        login(core, "bob")
    assert login(core, "bob", address="10.0.0.10").name == "bob"  # another address


def test_an_accounts_block_holds_for_its_address_only(core: Core):
    add(core, "alice")
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            login(core, "alice", "wrong-but-long-enough", address="203.0.113.5")
    with pytest.raises(Throttled):
        login(core, "alice", address="203.0.113.5")
    assert login(core, "alice", address="10.0.0.9").name == "alice"


def test_failures_are_forgotten_after_an_hour(core: Core):
    add(core)
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            login(core, "alice", "wrong-but-long-enough")
    later = EPOCH_2026 + timedelta(hours=2)
    with pytest.raises(Unauthenticated):  # the first failure of a new count: not blocking
        login(core, "alice", "wrong-but-long-enough", at=later)
    assert login(core, "alice", at=later).name == "alice"


def test_the_last_enabled_admin_cannot_be_demoted_or_disabled(core: Core):
    add(core, "alice")
    with core.db.writer() as session:
        with pytest.raises(Conflict, match="last enabled admin"):
            users.set_role(
                session=session, name="alice", role=Role.OPERATOR, actor=actor(), now=EPOCH_2026
            )
        with pytest.raises(Conflict):
            users.set_disabled(
                session=session, name="alice", disabled=True, actor=actor(), now=EPOCH_2026
            )
    add(core, "bob")
    with core.db.writer() as session:
        demoted = users.set_role(
            session=session, name="alice", role=Role.VIEWER, actor=actor(), now=EPOCH_2026
        )
        assert demoted.role == Role.VIEWER
        with pytest.raises(Conflict):
            users.set_disabled(
                session=session, name="bob", disabled=True, actor=actor(), now=EPOCH_2026
            )


def _refresh(core: Core, name: str) -> str:
    with core.db.writer() as session:
        user = users.get_user(session=session, name=name)
        return sessions.issue_refresh(session=session, user_id=user.id, now=EPOCH_2026)


def _refresh_fails(core: Core, token: str) -> None:
    with core.db.writer() as session, pytest.raises(Unauthenticated):
        sessions.rotate_refresh(session=session, token=token, now=EPOCH_2026)


@pytest.mark.parametrize("change", ["password", "role", "disable"])
def test_password_role_change_and_disabling_end_the_users_sessions(core: Core, change: str):
    add(core, "root1")
    add(core, "olga", Role.OPERATOR)
    token = _refresh(core, "olga")
    with core.db.writer() as session:
        if change == "password":
            users.set_password(
                session=session,
                name="olga",
                password="new-long-passphrase-7",
                actor=actor(),
                now=EPOCH_2026,
            )
        elif change == "role":
            users.set_role(
                session=session, name="olga", role=Role.VIEWER, actor=actor(), now=EPOCH_2026
            )
        else:
            users.set_disabled(
                session=session, name="olga", disabled=True, actor=actor(), now=EPOCH_2026
            )
    _refresh_fails(core, token)


def test_users_change_their_own_password_but_not_others(core: Core):
    add(core, "root1")
    add(core, "olga", Role.OPERATOR)
    add(core, "vic", Role.VIEWER)
    olga = as_role(Role.OPERATOR, "olga")
    with core.db.writer() as session:
        users.set_password(
            session=session,
            name="olga",
            password="new-long-passphrase-7",
            current_password=PASSWORD,
            actor=olga,
            now=EPOCH_2026,
        )
        with pytest.raises(PermissionDenied):
            users.set_password(
                session=session,
                name="vic",
                password="new-long-passphrase-7",
                actor=olga,
                now=EPOCH_2026,
            )
    assert login(core, "olga", "new-long-passphrase-7").name == "olga"


def test_only_admins_manage_users(core: Core):
    add(core, "root1")
    for role in (Role.VIEWER, Role.OPERATOR):
        who = as_role(role)
        with core.db.writer() as session:
            with pytest.raises(PermissionDenied):
                users.list_users(session=session, actor=who)
            with pytest.raises(PermissionDenied):
                users.set_role(
                    session=session, name="root1", role=Role.VIEWER, actor=who, now=EPOCH_2026
                )
        with pytest.raises(PermissionDenied):
            add(core, "mallory", Role.ADMIN, by=who)
    with core.db.reader() as session:
        assert [
            u.name for u in users.list_users(session=session, actor=as_role(Role.ADMIN)).items
        ] == ["root1"]


def test_unknown_users_are_not_found(core: Core):
    with core.db.writer() as session, pytest.raises(NotFound):
        users.set_role(
            session=session, name="nobody", role=Role.VIEWER, actor=actor(), now=EPOCH_2026
        )


def test_an_unknown_name_costs_a_bcrypt_check_like_a_known_one(
    core: Core, monkeypatch: pytest.MonkeyPatch
):
    checked: list[str] = []
    real = users.verify_password

    def spy(password: str, hashed: str) -> bool:
        checked.append(hashed)
        return real(password, hashed)

    monkeypatch.setattr(users, "verify_password", spy)
    with pytest.raises(Unauthenticated):
        login(core, "nobody")
    assert checked == [users.DUMMY_HASH]
