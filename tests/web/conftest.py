"""The REST API in-process: a Core on a fresh SQLite file with a fake clock, the app from
``create_app``, a TestClient, and one user of each role created through the users
service."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core.config import Settings
from core.models import Actor, Role
from core.runtime import Core, open_core
from core.services import users
from tests.factories import FakeClock
from web.api.app import API_PREFIX, create_app

PASSWORD = "plenty of words, 12+"
"""Passes the password policy (length, not a common password)."""

USERS = {Role.VIEWER: "vera", Role.OPERATOR: "otto", Role.ADMIN: "ada"}

Headers = dict[str, str]


def url(path: str) -> str:
    return f"{API_PREFIX}{path}"


@pytest.fixture
def core(settings: Settings, clock: FakeClock) -> Iterator[Core]:
    """A Core on a fresh SQLite file whose clock only moves when the test says so."""
    opened = open_core(settings, clock=clock)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def app(core: Core) -> FastAPI:
    return create_app(core)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def accounts(core: Core) -> dict[Role, str]:
    """A viewer, an operator and an admin, all with ``PASSWORD``."""
    with core.db.writer() as session:
        for role, name in USERS.items():
            users.add_user(
                session=session,
                name=name,
                password=PASSWORD,
                role=role,
                actor=Actor.system(),
                now=core.clock.now(),
            )
    return dict(USERS)


def login_pair(client: TestClient, name: str, password: str = PASSWORD) -> dict[str, object]:
    """The token pair of a successful login (fails the test otherwise)."""
    answer = client.post(url("/auth/login"), json={"name": name, "password": password})
    assert answer.status_code == 200, answer.text
    return answer.json()


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def login(client: TestClient, accounts: dict[Role, str]) -> Callable[[Role], Headers]:
    """Headers of a signed-in user of a role (one login per role per test)."""
    signed_in: dict[Role, Headers] = {}

    def headers(role: Role) -> Headers:
        if role not in signed_in:
            pair = login_pair(client, accounts[role])
            signed_in[role] = bearer(str(pair["access_token"]))
        return signed_in[role]

    return headers


@pytest.fixture
def viewer(login: Callable[[Role], Headers]) -> Headers:
    return login(Role.VIEWER)


@pytest.fixture
def operator(login: Callable[[Role], Headers]) -> Headers:
    return login(Role.OPERATOR)


@pytest.fixture
def admin(login: Callable[[Role], Headers]) -> Headers:
    return login(Role.ADMIN)
