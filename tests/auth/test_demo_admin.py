"""`warden serve --demo` makes the first admin with a random password, shown once; never a
default one."""

from __future__ import annotations

import pytest

from core.models import Actor, Role
from core.runtime import Core
from core.services import users
from warden.demo import _admin_lines, ensure_admin

pytestmark = pytest.mark.usefixtures("fast_bcrypt")


def test_the_demo_admin_has_a_random_password_that_works(core: Core):
    password = ensure_admin(core)
    assert password is not None and len(password) >= 12
    with core.db.writer() as session:
        user = users.login(
            session=session, name="admin", password=password, address=None, now=core.clock.now()
        )
    assert user.role == Role.ADMIN
    assert f"admin password: {password}" in _admin_lines(password)


def test_a_second_start_creates_nothing_and_shows_no_password(core: Core):
    ensure_admin(core)
    assert ensure_admin(core) is None
    assert "password" not in _admin_lines(None)
    with core.db.reader() as session:
        assert [u.name for u in users.list_users(session=session, actor=Actor.system()).items] == [
            "admin"
        ]
