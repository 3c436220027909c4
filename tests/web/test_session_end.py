"""An access token works only while its session does (issue 15 item 13): logging out,
changing one's password, an admin's reset and refresh-token reuse end it at once, not
when it runs out 15 minutes later."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.web.conftest import PASSWORD, bearer, login_pair, url

ME = url("/auth/me")
REFRESH = url("/auth/refresh")
NEW_PASSWORD = "a different long passphrase"


def works(client: TestClient, access_token: object) -> bool:
    answer = client.get(ME, headers=bearer(str(access_token)))
    if answer.status_code == 401:
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        return False
    assert answer.status_code == 200, answer.text
    return True


def test_logout_ends_the_access_token_at_once_and_only_that_session(client, accounts):
    laptop = login_pair(client, "vera")
    phone = login_pair(client, "vera")
    assert works(client, laptop["access_token"])

    assert (
        client.post(url("/auth/logout"), headers=bearer(laptop["access_token"])).status_code == 204
    )

    answer = client.get(ME, headers=bearer(laptop["access_token"]))
    assert answer.status_code == 401
    assert "session has ended" in answer.json()["error"]["message"]
    assert client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]}).status_code == 401
    assert works(client, phone["access_token"])


def test_changing_ones_own_password_ends_every_session(client, accounts):
    first = login_pair(client, "vera")
    second = login_pair(client, "vera")
    answer = client.post(
        url("/auth/password"),
        json={"current_password": PASSWORD, "password": NEW_PASSWORD},
        headers=bearer(first["access_token"]),
    )
    assert answer.status_code == 204
    assert not works(client, first["access_token"])
    assert not works(client, second["access_token"])
    assert works(client, login_pair(client, "vera", NEW_PASSWORD)["access_token"])


def test_an_admins_reset_ends_the_users_sessions(client, accounts, admin):
    vera = login_pair(client, "vera")
    answer = client.post(
        url("/users/vera/password"), json={"password": NEW_PASSWORD}, headers=admin
    )
    assert answer.status_code == 204
    assert not works(client, vera["access_token"])
    assert works(client, admin["Authorization"].removeprefix("Bearer "))


def test_refresh_token_reuse_ends_the_access_tokens_of_its_session(client, accounts):
    stolen = login_pair(client, "vera")
    renewed = client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]}).json()
    assert works(client, renewed["access_token"])

    replay = client.post(REFRESH, json={"refresh_token": stolen["refresh_token"]})

    assert replay.status_code == 401
    assert not works(client, renewed["access_token"])
    assert not works(client, stolen["access_token"])


def test_an_access_token_sent_to_refresh_is_401_not_a_validation_error(client, accounts):
    pair = login_pair(client, "vera")
    answer = client.post(REFRESH, json={"refresh_token": pair["access_token"]})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "unauthenticated"
    assert works(client, pair["access_token"])
