"""The client address the API records and rate-limits by: the peer, or behind a trusted
proxy (``WARDEN_TRUSTED_PROXIES``) the client X-Forwarded-For names. A header from
anyone else is ignored."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from core.config import Settings, load_settings
from core.models import Actor, ChangeLog, LoginThrottle, Origin, Role
from core.services import apikeys
from tests.factories import EPOCH_2026, FakeClock, make_device
from tests.web.conftest import url
from web.api.rate_limit import IngestLimits, TokenBucket

PROXY = ("10.0.0.5", 40000)
STRANGER = ("203.0.113.9", 40000)
TELEMETRY = url("/devices/telemetry")


@pytest.fixture
def settings(data_dir) -> Settings:
    return load_settings(data_dir=data_dir, trusted_proxies="10.0.0.0/24")


def _client(app: FastAPI, peer: tuple[str, int]) -> TestClient:
    return TestClient(app, client=peer)


def _failed_login(app: FastAPI, peer: tuple[str, int], forwarded: str | None) -> None:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    with _client(app, peer) as client:
        answer = client.post(
            url("/auth/login"),
            json={"name": "otto", "password": "wrong wrong wrong"},
            headers=headers,
        )
    assert answer.status_code == 401


def _last_login_address(core) -> str | None:
    with core.db.reader() as session:
        rows = session.exec(
            select(ChangeLog).where(ChangeLog.kind == "auth.login_failed").order_by(ChangeLog.id)
        ).all()
    return rows[-1].address


def test_behind_a_trusted_proxy_the_forwarded_client_is_audited_and_throttled(app, core):
    _failed_login(app, PROXY, "1.2.3.4, 198.51.100.7")
    assert _last_login_address(core) == "198.51.100.7"
    with core.db.reader() as session:
        keys = set(session.exec(select(LoginThrottle.key)))
    assert "addr:198.51.100.7" in keys and "addr:10.0.0.5" not in keys


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(app, core):
    _failed_login(app, STRANGER, "198.51.100.7")
    assert _last_login_address(core) == "203.0.113.9"


def test_a_trusted_proxy_without_the_header_is_the_client(app, core):
    _failed_login(app, PROXY, None)
    assert _last_login_address(core) == "10.0.0.5"


@pytest.fixture
def device_key(core) -> str:
    admin = Actor(name="admin", origin=Origin.API, role=Role.ADMIN)
    with core.db.writer() as session:
        make_device(session, id="meter-1")
        return apikeys.create_key(
            session=session, device_id="meter-1", actor=admin, now=EPOCH_2026
        )[1]


@pytest.fixture
def one_request_each(app) -> None:
    """Address buckets of one request that never refill: a second one is refused."""
    limits = IngestLimits(clock=FakeClock().monotonic)
    limits.per_address = TokenBucket(rate=0.001, burst=1, clock=limits.clock)
    app.state.ingest_limits = limits


@pytest.mark.usefixtures("one_request_each")
def test_device_routes_limit_the_forwarded_client_not_the_proxy(app, device_key):
    def post(peer, forwarded):
        with _client(app, peer) as client:
            return client.post(
                TELEMETRY,
                json={"data": {"t": 1}},
                headers={"X-API-Key": device_key, "X-Forwarded-For": forwarded},
            )

    assert post(PROXY, "198.51.100.7").status_code == 201
    refused = post(PROXY, "198.51.100.7")
    assert refused.status_code == 429
    assert "198.51.100.7" in refused.json()["error"]["message"]
    # Another client behind the same proxy has its own bucket.
    assert post(PROXY, "198.51.100.8").status_code == 201
    # An untrusted peer cannot buy a fresh bucket with a made-up header.
    assert post(STRANGER, "198.51.100.9").status_code == 201
    assert post(STRANGER, "198.51.100.10").status_code == 429
