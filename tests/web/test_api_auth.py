"""Signing in over the API: one answer for every failure, brute force slowed down but
never locked out for good, refresh tokens rotating, logging out, all audited."""

from __future__ import annotations

from core.models import Actor, Origin, Outcome
from core.services import audit
from tests.web.conftest import PASSWORD, bearer, login_pair, url

LOGIN = url("/auth/login")


def test_login_gives_a_token_pair_that_works(client, accounts):
    pair = login_pair(client, "otto")
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 900
    me = client.get(url("/auth/me"), headers=bearer(str(pair["access_token"])))
    assert me.status_code == 200
    assert (me.json()["name"], me.json()["role"]) == ("otto", "operator")
    assert "password" not in me.text and "hash" not in me.text


def test_wrong_password_and_unknown_user_get_the_same_answer(client, accounts):
    wrong = client.post(LOGIN, json={"name": "otto", "password": "not the password!"})
    unknown = client.post(LOGIN, json={"name": "nobody", "password": "not the password!"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["error"]["code"] == "unauthenticated"
    assert wrong.headers["WWW-Authenticate"] == "Bearer"


def test_the_sixth_quick_failure_is_refused_with_retry_after_and_the_lock_ends(
    client, accounts, clock
):
    for _ in range(5):
        answer = client.post(LOGIN, json={"name": "otto", "password": "guess guess guess"})
        assert answer.status_code == 401
    sixth = client.post(LOGIN, json={"name": "otto", "password": PASSWORD})
    assert sixth.status_code == 429
    assert sixth.json()["error"]["code"] == "throttled"
    wait = int(sixth.headers["Retry-After"])
    assert wait >= 1
    # Not locked for good: after the wait the right password works again.
    clock.advance(wait)
    assert client.post(LOGIN, json={"name": "otto", "password": PASSWORD}).status_code == 200


def test_throttling_an_unknown_name_looks_like_throttling_a_real_one(client, accounts, clock):
    answers = []
    for name in ("otto", "nobody"):
        for _ in range(5):
            client.post(LOGIN, json={"name": name, "password": "guess guess guess"})
        answers.append(client.post(LOGIN, json={"name": name, "password": "guess guess guess"}))
        clock.advance(3600 * 2)  # failures are forgotten; start the next name afresh
    assert [a.status_code for a in answers] == [429, 429]


def test_refresh_rotates_the_refresh_token(client, accounts):
    pair = login_pair(client, "vera")
    renewed = client.post(url("/auth/refresh"), json={"refresh_token": pair["refresh_token"]})
    assert renewed.status_code == 200
    body = renewed.json()
    assert body["refresh_token"] != pair["refresh_token"]
    me = client.get(url("/auth/me"), headers=bearer(body["access_token"]))
    assert me.json()["name"] == "vera"


def test_logout_revokes_the_refresh_token(client, accounts):
    pair = login_pair(client, "vera")
    headers = bearer(str(pair["access_token"]))
    token = {"refresh_token": pair["refresh_token"]}
    assert client.post(url("/auth/logout"), json=token, headers=headers).status_code == 204
    assert client.post(url("/auth/refresh"), json=token).status_code == 401
    # Logging out twice is harmless.
    assert client.post(url("/auth/logout"), json=token, headers=headers).status_code == 204


def test_logins_are_audited_with_origin_and_address(client, accounts, core):
    login_pair(client, "ada")
    client.post(LOGIN, json={"name": "ada", "password": "not the password!"})
    with core.db.reader() as session:
        entries = audit.list_audit(session=session, actor=Actor.system(), kind_prefix="auth.").items
    outcomes = sorted((e.outcome, e.origin, e.address) for e in entries if e.actor == "ada")
    assert outcomes == [
        (Outcome.DENIED, Origin.API, "testclient"),
        (Outcome.OK, Origin.API, "testclient"),
    ]


def test_a_malformed_login_is_a_validation_error(client):
    answer = client.post(LOGIN, json={"name": "otto"})
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "validation_error"
    assert "password" in answer.json()["error"]["message"]
