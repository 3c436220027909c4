"""Login throttling that is no lockout weapon (issue 15 item 15, ASVS 5.0 V6.3.1): an
account is throttled per client address, so the owner elsewhere still gets in and, after
the block, the owner's correct password does too; one user's failures do not block the
others at that address; a rewritten X-Forwarded-For from the trusted proxy does not buy
fresh attempts."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from core import passwords
from core.config import Settings, load_settings
from tests.factories import FakeClock
from tests.web.conftest import PASSWORD, url

LOGIN = url("/auth/login")
PROXY = ("10.0.0.5", 40000)
WRONG = "not the password at all"


@pytest.fixture(autouse=True)
def fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cost 4 for the accounts made here (these tests sign in dozens of times)."""
    monkeypatch.setattr(passwords, "BCRYPT_COST", 4)


@pytest.fixture
def settings(data_dir) -> Settings:
    return load_settings(data_dir=data_dir, trusted_proxies="10.0.0.0/24")


@pytest.fixture
def via_proxy(app: FastAPI):
    with TestClient(app, client=PROXY) as client:

        def attempt(name: str, password: str, address: str) -> int:
            answer = client.post(
                LOGIN,
                json={"name": name, "password": password},
                headers={"X-Forwarded-For": address},
            )
            return answer.status_code

        yield attempt


def test_an_attacker_elsewhere_does_not_lock_the_owner_out(accounts, via_proxy):
    tries = [via_proxy("otto", WRONG, "198.51.100.66") for _ in range(6)]
    assert tries == [401] * 5 + [429]
    assert via_proxy("otto", PASSWORD, "198.51.100.7") == 200


def test_after_the_block_the_owners_password_gets_in_and_clears_the_count(
    accounts, via_proxy, clock: FakeClock
):
    for _ in range(5):
        assert via_proxy("otto", WRONG, "198.51.100.7") == 401
    assert via_proxy("otto", PASSWORD, "198.51.100.7") == 429  # blocked: not even checked
    clock.advance(1)
    assert via_proxy("otto", PASSWORD, "198.51.100.7") == 200
    # The count starts again: one more typo is a 401, not a block.
    assert via_proxy("otto", WRONG, "198.51.100.7") == 401
    assert via_proxy("otto", PASSWORD, "198.51.100.7") == 200


def test_one_users_failures_do_not_block_the_others_at_that_address(accounts, via_proxy):
    for _ in range(6):
        via_proxy("otto", WRONG, "198.51.100.7")
    assert via_proxy("otto", PASSWORD, "198.51.100.7") == 429
    assert via_proxy("vera", PASSWORD, "198.51.100.7") == 200
    assert via_proxy("ada", PASSWORD, "198.51.100.7") == 200


def test_rotating_x_forwarded_for_from_the_proxy_is_throttled(accounts, via_proxy):
    """Whoever can send from the proxy's address can write any client address: the
    proxy's own count stops them."""
    answers = [via_proxy("ada", WRONG, f"198.51.100.{n}") for n in range(1, 31)]
    assert answers[:20] == [401] * 20
    assert set(answers[20:]) == {429}
    # A client behind the proxy with no failures of its own waits too, but only seconds.
    assert via_proxy("vera", PASSWORD, "198.51.100.200") == 429
