"""Signing in to the web console: required everywhere but the login page, the same
answer for a wrong password and an unknown user, only local redirects, and a session
that ends when the account changes."""

from __future__ import annotations

import pytest
from nicegui import ui

from core.models import Actor, Role
from core.services import users
from tests.webui.conftest import PASSWORD, USERS, sign_in
from web.ui.guard import safe_redirect


async def test_pages_need_a_signed_in_user(console):
    user = console.new_user()
    await user.open("/devices")
    await user.should_see("Sign in")
    await user.should_not_see("Overview")


async def test_sign_in_then_see_the_overview_and_sign_out(console):
    user = console.new_user()
    await sign_in(user, USERS[Role.OPERATOR])
    await user.should_see("Fleet")
    user.find(marker="account").click()
    await user.should_see("otto (operator)")
    user.find(marker="sign-out").click()
    await user.should_see("Sign in")


async def test_wrong_password_and_unknown_user_get_the_same_answer(console):
    user = console.new_user()
    await user.open("/login")
    user.find("Name").type("otto")
    user.find("Password").type("not the password at all")
    user.find(kind=ui.button, content="Sign in").click()
    await user.should_see("Wrong name or password.", retries=50)
    user.find("Name").clear()
    user.find("Name").type("nobody")
    user.find("Password").type("not the password at all")
    user.find(kind=ui.button, content="Sign in").click()
    await user.should_see("Wrong name or password.", retries=50)


async def test_a_disabled_account_is_signed_out_on_its_next_page(console, core):
    user = await console.signed_in(Role.OPERATOR)
    with core.db.writer() as session:
        users.set_disabled(
            session=session, name="otto", disabled=True, actor=Actor.system(), now=core.clock.now()
        )
    await user.open("/")
    await user.should_see("Sign in")


async def test_the_sixth_quick_failure_is_throttled(console):
    user = console.new_user()
    await user.open("/login")
    for _ in range(6):
        user.find("Name").clear()
        user.find("Name").type("otto")
        user.find("Password").type("wrong password, again")
        user.find(kind=ui.button, content="Sign in").click()
    await user.should_see("too many failed logins", retries=50)
    user.find("Password").type(PASSWORD)
    user.find(kind=ui.button, content="Sign in").click()
    await user.should_see("too many failed logins", retries=50)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/devices/meter-1", "/devices/meter-1"),
        ("/findings?status=open", "/findings?status=open"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("/ok\r\nSet-Cookie: x", "/"),
        (None, "/"),
    ],
)
def test_redirect_targets_are_local_paths_only(target, expected):
    assert safe_redirect(target) == expected
