"""``POST /auth/password`` (any signed-in user, own password, current one required) and
``POST /users/{name}/password`` (admin; their own needs the current one too)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from core import passwords
from core.models import ChangeLog, Outcome, Role
from tests.web.conftest import PASSWORD, login_pair, url

NEW = "another passphrase, 12+"


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cost 4 instead of 12: these tests hash a few passwords each."""
    monkeypatch.setattr(passwords, "BCRYPT_COST", 4)


def test_a_viewer_changes_their_own_password_with_the_current_one(client, accounts, viewer):
    answer = client.post(
        url("/auth/password"),
        json={"current_password": PASSWORD, "password": NEW},
        headers=viewer,
    )
    assert answer.status_code == 204, answer.text
    login_pair(client, accounts[Role.VIEWER], NEW)
    old = client.post(url("/auth/login"), json={"name": "vera", "password": PASSWORD})
    assert old.status_code == 401


def test_a_wrong_current_password_is_refused_and_audited(client, core, accounts, viewer):
    answer = client.post(
        url("/auth/password"),
        json={"current_password": "not my password!", "password": NEW},
        headers=viewer,
    )
    assert answer.status_code == 403
    assert "current password is wrong" in answer.json()["error"]["message"]
    login_pair(client, accounts[Role.VIEWER])  # unchanged
    with core.db.reader() as session:
        denied = session.exec(
            select(ChangeLog).where(ChangeLog.outcome == Outcome.DENIED, ChangeLog.actor == "vera")
        ).all()
    assert len(denied) == 1


def test_the_current_password_is_required(client, viewer):
    answer = client.post(url("/auth/password"), json={"password": NEW}, headers=viewer)
    assert answer.status_code == 422


def test_an_admin_resets_another_users_password_without_theirs(client, accounts, admin):
    answer = client.post(url("/users/otto/password"), json={"password": NEW}, headers=admin)
    assert answer.status_code == 204, answer.text
    login_pair(client, accounts[Role.OPERATOR], NEW)


def test_an_admin_changing_their_own_through_users_needs_the_current_one(client, admin):
    refused = client.post(url("/users/ada/password"), json={"password": NEW}, headers=admin)
    assert refused.status_code == 403
    done = client.post(
        url("/users/ada/password"),
        json={"password": NEW, "current_password": PASSWORD},
        headers=admin,
    )
    assert done.status_code == 204, done.text
