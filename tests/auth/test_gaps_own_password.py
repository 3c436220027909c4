"""Changing one's own password needs the current one; an admin resetting someone else's
does not, nor does the local operator at the gateway's shell."""

from __future__ import annotations

import pytest

from core.errors import PermissionDenied, Unauthenticated
from core.models import Actor, Origin, Role
from core.runtime import Core
from core.services import users
from tests.factories import EPOCH_2026, actor

PASSWORD = "violet-harbour-29-kettle"
NEW = "new-long-passphrase-7"
pytestmark = pytest.mark.usefixtures("fast_bcrypt")


@pytest.fixture
def people(core: Core) -> None:
    with core.db.writer() as session:
        for name, role in (("root1", Role.ADMIN), ("olga", Role.OPERATOR)):
            users.add_user(
                session=session,
                name=name,
                password=PASSWORD,
                role=role,
                actor=actor(),
                now=EPOCH_2026,
            )


def _signed_in(name: str, role: Role) -> Actor:
    return Actor(name=name, origin=Origin.API, role=role, address="10.0.0.9")


def _set(core: Core, name: str, by: Actor, current: str | None = None) -> None:
    with core.db.writer() as session:
        users.set_password(
            session=session,
            name=name,
            password=NEW,
            current_password=current,
            actor=by,
            now=EPOCH_2026,
        )


def _logs_in(core: Core, name: str, password: str) -> bool:
    with core.db.writer() as session:
        try:
            users.login(session=session, name=name, password=password, address=None, now=EPOCH_2026)
        except Unauthenticated:
            return False
    return True


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(
    ("current", "message"),
    [
        (None, "give your current password"),
        ("", "give your current password"),
        ("not-the-password-1", "current password is wrong"),
    ],
)
def test_own_change_without_the_right_current_password_is_refused(core, current, message):
    with pytest.raises(PermissionDenied, match=message):
        _set(core, "olga", _signed_in("olga", Role.OPERATOR), current)
    assert _logs_in(core, "olga", PASSWORD) and not _logs_in(core, "olga", NEW)


@pytest.mark.usefixtures("people")
def test_own_change_with_the_current_password_works(core):
    _set(core, "olga", _signed_in("olga", Role.OPERATOR), PASSWORD)
    assert _logs_in(core, "olga", NEW)


@pytest.mark.usefixtures("people")
def test_an_admin_needs_the_current_password_for_their_own_too(core):
    with pytest.raises(PermissionDenied):
        _set(core, "root1", _signed_in("root1", Role.ADMIN))
    _set(core, "root1", _signed_in("root1", Role.ADMIN), PASSWORD)
    assert _logs_in(core, "root1", NEW)


@pytest.mark.usefixtures("people")
def test_an_admin_resets_someone_elses_without_it(core):
    _set(core, "olga", _signed_in("root1", Role.ADMIN))
    assert _logs_in(core, "olga", NEW)


@pytest.mark.usefixtures("people")
def test_the_local_operator_without_a_role_needs_none(core):
    # `warden users passwd olga` run by the shell user olga: the CLI actor has no role.
    _set(core, "olga", Actor(name="olga", origin=Origin.CLI))
    assert _logs_in(core, "olga", NEW)
