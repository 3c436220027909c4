"""Access tokens: the round trip, and every way a forged or stale token is refused with
the same 401 answer (RFC 8725)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
from datetime import UTC, datetime

import jwt
import pytest

from core.config import load_settings
from core.errors import ConfigError, Unauthenticated
from core.models import Role, UserPublic
from core.tokens import AccessClaims, TokenIssuer, load_secret
from tests.factories import EPOCH_2026, FakeClock

SECRET = b"k" * 32
USER = UserPublic(
    id=1,
    name="olga",
    role=Role.OPERATOR,
    disabled=False,
    created_at=EPOCH_2026,
    updated_at=EPOCH_2026,
    last_login_at=None,
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def forge(header: dict, payload: dict, key: bytes | None = SECRET) -> str:
    """A token signed by hand (HMAC-SHA256 with ``key``; no signature when None)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    if key is None:
        return signing_input + "."
    sig = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(sig)}"


@pytest.fixture
def issuer(clock: FakeClock) -> TokenIssuer:
    return TokenIssuer(SECRET, clock)


def good_claims(clock: FakeClock, **changes: object) -> dict:
    now = int(clock.now().timestamp())
    claims = {
        "sub": "olga",
        "role": "operator",
        "jti": "j1",
        "iat": now,
        "nbf": now,
        "exp": now + 900,
        "iss": "warden",
        "aud": "warden-api",
        "sid": "s1",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def refused(issuer: TokenIssuer, token: str) -> None:
    with pytest.raises(Unauthenticated) as caught:
        issuer.verify(token)
    assert str(caught.value) == "invalid or expired token"


def test_round_trip(issuer: TokenIssuer, clock: FakeClock):
    claims = issuer.verify(issuer.issue(USER, session_id="s1"))
    assert isinstance(claims, AccessClaims)
    assert (claims.sub, claims.role, claims.iss, claims.aud) == (
        "olga",
        Role.OPERATOR,
        "warden",
        "warden-api",
    )
    assert claims.exp - claims.iat == 900
    assert claims.jti != issuer.verify(issuer.issue(USER, session_id="s1")).jti


def test_a_hand_made_token_with_every_claim_verifies(issuer: TokenIssuer, clock: FakeClock):
    """The forging helper is right, so the negatives below fail for their one reason."""
    assert issuer.verify(forge({"alg": "HS256", "typ": "JWT"}, good_claims(clock))).sub == "olga"


def test_alg_none_is_refused(issuer: TokenIssuer, clock: FakeClock):
    refused(issuer, forge({"alg": "none", "typ": "JWT"}, good_claims(clock), key=None))
    refused(issuer, forge({"alg": "None", "typ": "JWT"}, good_claims(clock), key=None))


def test_rs256_tokens_and_the_public_key_as_hmac_secret_are_refused(clock: FakeClock):
    """HS/RS confusion: a server that verified with "whatever alg the header says" would
    accept an HS256 token keyed with its RSA public key. Warden pins HS256, so neither an
    RS256 token nor one HMAC-ed with the public key PEM gets through."""
    rsa = pytest.importorskip("Crypto.PublicKey.RSA")
    pkcs1_15 = pytest.importorskip("Crypto.Signature.pkcs1_15")
    sha256 = pytest.importorskip("Crypto.Hash.SHA256")
    key = rsa.generate(2048)
    public_pem = key.publickey().export_key()
    # the victim server here is one configured with the PEM as its "secret"
    issuer = TokenIssuer(public_pem, clock)
    header = b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(good_claims(clock, role="admin")).encode())
    signature = pkcs1_15.new(key).sign(sha256.new(f"{header}.{payload}".encode()))
    refused(issuer, f"{header}.{payload}.{b64(signature)}")
    confused = forge({"alg": "HS256", "typ": "JWT"}, good_claims(clock), key=public_pem)
    refused(TokenIssuer(SECRET, clock), confused)  # the real server: a different secret


def test_a_wrong_secret_is_refused(issuer: TokenIssuer, clock: FakeClock):
    refused(issuer, TokenIssuer(b"x" * 32, clock).issue(USER, session_id="s1"))
    refused(issuer, forge({"alg": "HS256"}, good_claims(clock), key=b"y" * 32))


def test_expired_within_leeway_and_after(issuer: TokenIssuer, clock: FakeClock):
    token = issuer.issue(USER, session_id="s1")
    clock.advance(900 + 4)  # within the 5 s leeway
    issuer.verify(token)
    clock.advance(2)
    refused(issuer, token)


def test_not_yet_valid_is_refused(issuer: TokenIssuer, clock: FakeClock):
    now = int(clock.now().timestamp())
    refused(issuer, forge({"alg": "HS256"}, good_claims(clock, nbf=now + 60)))
    refused(issuer, forge({"alg": "HS256"}, good_claims(clock, iat=now + 60)))


def test_wrong_audience_or_issuer_is_refused(issuer: TokenIssuer, clock: FakeClock):
    refused(issuer, forge({"alg": "HS256"}, good_claims(clock, aud="someone-else")))
    refused(issuer, forge({"alg": "HS256"}, good_claims(clock, iss="evil")))
    other = TokenIssuer(SECRET, clock, audience="warden-ui")
    refused(issuer, other.issue(USER, session_id="s1"))


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf", "iss", "aud", "sub", "role", "jti"])
def test_each_required_claim_missing_is_refused(issuer: TokenIssuer, clock: FakeClock, claim: str):
    refused(issuer, forge({"alg": "HS256"}, good_claims(clock, **{claim: None})))


@pytest.mark.parametrize(
    "changes",
    [{"role": "root"}, {"exp": "9999999999"}, {"exp": True}, {"sub": 5}, {"aud": ["warden-api"]}],
)
def test_malformed_claims_are_refused(issuer: TokenIssuer, clock: FakeClock, changes: dict):
    refused(issuer, forge({"alg": "HS256"}, good_claims(clock, **changes)))


def test_a_tampered_role_claim_is_refused(issuer: TokenIssuer):
    header, payload, signature = issuer.issue(USER, session_id="s1").split(".")
    claims = json.loads(unb64(payload))
    claims["role"] = "admin"
    refused(issuer, f"{header}.{b64(json.dumps(claims).encode())}.{signature}")


def test_garbage_is_refused(issuer: TokenIssuer):
    for token in ("", "a.b.c", "not a token", "a.b"):
        refused(issuer, token)


def test_a_short_secret_is_refused(clock: FakeClock):
    with pytest.raises(ConfigError):
        TokenIssuer(b"short", clock)


def test_the_secret_file_is_made_once_with_mode_0600_and_reused(data_dir):
    settings = load_settings(data_dir=data_dir)
    first = load_secret(settings)
    path = data_dir / "jwt-secret"
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret(settings) == first


def test_a_group_readable_secret_file_is_refused(data_dir):
    settings = load_settings(data_dir=data_dir)
    load_secret(settings)
    os.chmod(data_dir / "jwt-secret", 0o640)
    with pytest.raises(ConfigError, match="chmod 600"):
        load_secret(settings)


def test_the_secret_setting_wins_and_must_be_long_enough(data_dir):
    given = "s" * 40
    assert load_secret(load_settings(data_dir=data_dir, jwt_secret=given)) == given.encode()
    assert not (data_dir / "jwt-secret").exists()
    with pytest.raises(ConfigError, match="32 bytes"):
        load_settings(data_dir=data_dir, jwt_secret="too-short")


def test_the_clock_decides_not_the_wall(issuer: TokenIssuer):
    """A token from a clock far in the past is expired now, whatever the machine's time."""
    old = TokenIssuer(SECRET, FakeClock(datetime(2001, 1, 1, tzinfo=UTC)))
    refused(issuer, old.issue(USER, session_id="s1"))
    assert jwt.get_unverified_header(issuer.issue(USER, session_id="s1"))["alg"] == "HS256"
