"""Access tokens that must not work (RFC 8725, ASVS V9) and refresh tokens that must not
work twice: each answers 401 on ``GET /auth/me`` or ``POST /auth/refresh``."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from core.models import Actor, Role
from core.runtime import Core
from core.services import sessions, users
from core.tokens import REQUIRED_CLAIMS, load_secret
from tests.factories import FakeClock
from tests.web.conftest import Headers, bearer, login_pair, url

ME = url("/auth/me")
SID = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"
"""The session the hand-made tokens below claim: a live one of vera's (``vera_session``)."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims(clock: FakeClock, **changes: Any) -> dict[str, Any]:
    """Valid claims for the viewer ``vera``, with ``changes`` (None removes a claim)."""
    now = int(clock.now().timestamp())
    base: dict[str, Any] = {
        "sub": "vera",
        "role": "viewer",
        "jti": secrets.token_hex(8),
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "iss": "warden",
        "aud": "warden-api",
        "sid": SID,
    }
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def sign(payload: dict[str, Any], key: bytes, algorithm: str = "HS256") -> str:
    return jwt.encode(payload, key, algorithm=algorithm)


def refused(client: TestClient, token: str) -> bool:
    answer = client.get(ME, headers=bearer(token))
    if answer.status_code != 401:
        return False
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert answer.json()["error"]["code"] == "unauthenticated"
    return True


@pytest.fixture
def secret(core: Core) -> bytes:
    return load_secret(core.settings)


@pytest.fixture(autouse=True)
def vera_session(core: Core, accounts) -> None:
    """A live session of vera's with the id ``SID``, as a login would have made."""
    with core.db.writer() as session:
        vera = users.get_user(session=session, name="vera")
        sessions.issue_refresh(session=session, user_id=vera.id, now=core.clock.now(), family=SID)


def test_a_well_formed_token_works(client, accounts, clock, secret):
    """The control: the forged tokens below differ from this one in one thing each."""
    answer = client.get(ME, headers=bearer(sign(claims(clock), secret)))
    assert answer.status_code == 200
    assert answer.json()["name"] == "vera"


def test_no_token_or_another_scheme_is_refused(client, accounts):
    assert client.get(ME).status_code == 401
    assert client.get(ME, headers={"Authorization": "Basic dmVyYTp4"}).status_code == 401
    assert client.get(ME, headers=bearer("not-a-jwt")).status_code == 401


def test_alg_none_is_refused(client, accounts, clock):
    header = b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = b64(json.dumps(claims(clock)).encode())
    assert refused(client, f"{header}.{body}.")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_another_algorithm_is_refused_even_with_the_right_secret(
    client, accounts, clock, secret, algorithm
):
    assert refused(client, sign(claims(clock), secret, algorithm))


def test_an_rs256_header_on_an_hmac_signature_is_refused(client, accounts, clock, secret):
    """HS/RS confusion: an RS256 header over a signature made with the shared secret."""
    genuine = sign(claims(clock), secret)
    _, body, signature = genuine.split(".")
    header = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    assert refused(client, f"{header}.{body}.{signature}")


def test_a_wrong_secret_is_refused(client, accounts, clock):
    assert refused(client, sign(claims(clock), secrets.token_bytes(32)))


def test_an_expired_token_is_refused(client, accounts, clock, secret):
    now = int(clock.now().timestamp())
    assert refused(
        client, sign(claims(clock, iat=now - 1000, nbf=now - 1000, exp=now - 60), secret)
    )


def test_a_token_runs_out_after_fifteen_minutes(client, accounts, clock):
    headers = bearer(str(login_pair(client, "vera")["access_token"]))
    assert client.get(ME, headers=headers).status_code == 200
    clock.advance(15 * 60 + 10)
    assert client.get(ME, headers=headers).status_code == 401


def test_a_token_not_yet_valid_is_refused(client, accounts, clock, secret):
    now = int(clock.now().timestamp())
    assert refused(client, sign(claims(clock, nbf=now + 600, exp=now + 1500), secret))
    assert refused(client, sign(claims(clock, iat=now + 600), secret))


@pytest.mark.parametrize(("claim", "value"), [("aud", "someone-else"), ("iss", "mallory")])
def test_a_wrong_audience_or_issuer_is_refused(client, accounts, clock, secret, claim, value):
    assert refused(client, sign(claims(clock, **{claim: value}), secret))


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_a_missing_claim_is_refused(client, accounts, clock, secret, claim):
    assert refused(client, sign(claims(clock, **{claim: None}), secret))


def test_a_tampered_role_claim_is_refused(client, accounts):
    """Changing the payload of a genuine token breaks its signature."""
    token = str(login_pair(client, "vera")["access_token"])
    header, body, signature = token.split(".")
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["role"] = "admin"
    forged = f"{header}.{b64(json.dumps(payload).encode())}.{signature}"
    assert refused(client, forged)


def test_a_role_claim_that_differs_from_the_database_is_refused(client, accounts, clock, secret):
    """Even correctly signed (a leaked secret, or a token from before a role change)."""
    assert refused(client, sign(claims(clock, role="admin"), secret))


def test_a_role_change_or_disabling_applies_at_once(
    client, accounts, core, login: Callable[[Role], Headers]
):
    otto = login(Role.OPERATOR)
    assert client.get(ME, headers=otto).status_code == 200
    with core.db.writer() as session:
        users.set_role(
            session=session,
            name="otto",
            role=Role.VIEWER,
            actor=Actor.system(),
            now=core.clock.now(),
        )
    assert client.get(ME, headers=otto).status_code == 401
    vera = login(Role.VIEWER)
    with core.db.writer() as session:
        users.set_disabled(
            session=session, name="vera", disabled=True, actor=Actor.system(), now=core.clock.now()
        )
    assert client.get(ME, headers=vera).status_code == 401


def test_a_token_of_an_unknown_user_is_refused(client, accounts, clock, secret):
    assert refused(client, sign(claims(clock, sub="nobody"), secret))


def test_a_logged_out_refresh_token_is_refused(client, accounts):
    pair = login_pair(client, "vera")
    answer = client.post(
        url("/auth/logout"),
        json={"refresh_token": pair["refresh_token"]},
        headers=bearer(str(pair["access_token"])),
    )
    assert answer.status_code == 204
    again = client.post(url("/auth/refresh"), json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "unauthenticated"


def test_a_reused_refresh_token_is_refused_and_revokes_its_family(client, accounts):
    first = login_pair(client, "vera")
    renewed = client.post(url("/auth/refresh"), json={"refresh_token": first["refresh_token"]})
    assert renewed.status_code == 200
    second = renewed.json()
    # The old token again: a thief replaying it, or the owner after a thief used it.
    replay = client.post(url("/auth/refresh"), json={"refresh_token": first["refresh_token"]})
    assert replay.status_code == 401
    # The whole sign-in is over: the newer token is revoked too.
    after = client.post(url("/auth/refresh"), json={"refresh_token": second["refresh_token"]})
    assert after.status_code == 401
    # Another sign-in of the same user is untouched.
    other = login_pair(client, "vera")
    fresh = client.post(url("/auth/refresh"), json={"refresh_token": other["refresh_token"]})
    assert fresh.status_code == 200


def test_an_unknown_refresh_token_is_refused(client, accounts):
    answer = client.post(url("/auth/refresh"), json={"refresh_token": secrets.token_urlsafe(32)})
    assert answer.status_code == 401
