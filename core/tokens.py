"""Access tokens: short-lived JWTs (RFC 8725, ASVS 5.0 V9).

HS256 with a 256-bit secret, the algorithm pinned when decoding (so ``alg: none`` and
RS256/HS256 confusion are refused), every registered claim required and checked. Expiry is
checked against the injected ``Clock``, like everything else that depends on time, so
tests move time instead of sleeping. Every failure gives the same answer, "invalid or
expired token": a client learns nothing about which check failed.

Refresh tokens are not JWTs: they are random and stored hashed (``core.services.sessions``),
so they can be revoked.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

import jwt
from pydantic import BaseModel, Field, ValidationError

from core.clock import Clock
from core.config import Settings
from core.errors import ConfigError, Unauthenticated
from core.models import Role, UserPublic
from core.private_files import make_private_dir

ALGORITHM = "HS256"
SECRET_BYTES = 32
"""256 bits: what HS256 needs (RFC 7518 3.2)."""
SECRET_FILE = "jwt-secret"  # noqa: S105 - a file name, not a secret
MAX_LEEWAY_S = 5
REQUIRED_CLAIMS = ("exp", "iat", "nbf", "iss", "aud", "sub", "role", "jti", "sid")
INVALID = "invalid or expired token"


class AccessClaims(BaseModel):
    """The claims of an access token: all required, the times strict integers."""

    sub: str
    """The user name."""
    role: Role
    jti: str
    sid: str = Field(min_length=1, max_length=32)
    """The session (refresh-token family) the token was issued in: it works only while
    that session does (``core.services.sessions.session_is_live``)."""
    exp: int = Field(strict=True)
    iat: int = Field(strict=True)
    nbf: int = Field(strict=True)
    iss: str
    aud: str


class TokenIssuer:
    """Issues and verifies the access tokens of one deployment."""

    def __init__(
        self,
        secret: bytes,
        clock: Clock,
        *,
        ttl_s: int = 900,
        issuer: str = "warden",
        audience: str = "warden-api",
        leeway_s: int = MAX_LEEWAY_S,
    ) -> None:
        if len(secret) < SECRET_BYTES:
            raise ConfigError(f"the token secret needs at least {SECRET_BYTES} bytes")
        if not 0 <= leeway_s <= MAX_LEEWAY_S:
            raise ValueError(f"leeway must be 0 to {MAX_LEEWAY_S} seconds")
        self._secret = secret
        self._clock = clock
        self.ttl_s = ttl_s
        self.issuer = issuer
        self.audience = audience
        self.leeway_s = leeway_s

    def issue(self, user: UserPublic, *, session_id: str) -> str:
        """An access token of ``user`` in the session ``session_id``."""
        now = int(self._clock.now().timestamp())
        claims = AccessClaims(
            sub=user.name,
            role=user.role,
            jti=secrets.token_urlsafe(16),
            sid=session_id,
            iat=now,
            nbf=now,
            exp=now + self.ttl_s,
            iss=self.issuer,
            aud=self.audience,
        )
        return jwt.encode(claims.model_dump(mode="json"), self._secret, algorithm=ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid token; ``Unauthenticated`` for anything else."""
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={
                    "require": list(REQUIRED_CLAIMS),
                    # Times are checked below against the injected clock.
                    "verify_exp": False,
                    "verify_nbf": False,
                    "verify_iat": False,
                },
            )
            claims = AccessClaims.model_validate(payload)
        except (jwt.PyJWTError, ValidationError, ValueError, TypeError):
            raise Unauthenticated(INVALID) from None
        now = self._clock.now().timestamp()
        if (
            claims.exp <= now - self.leeway_s
            or claims.nbf > now + self.leeway_s
            or claims.iat > now + self.leeway_s
        ):
            raise Unauthenticated(INVALID)
        return claims


def load_secret(settings: Settings) -> bytes:
    """The signing secret: the ``jwt_secret`` setting, else ``DATA_DIR/jwt-secret``,
    created on first use with 32 random bytes and mode 0600.

    An existing file that group or others may access is refused (``ConfigError``) rather
    than used: anyone who can read it can mint admin tokens.
    """
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value().encode("utf-8")
    path = settings.data_dir / SECRET_FILE
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    make_private_dir(settings.data_dir)
    secret = secrets.token_bytes(SECRET_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _read_secret(path)
    with os.fdopen(fd, "wb") as out:
        out.write(secret)
        out.flush()
        os.fsync(out.fileno())
    return secret


def _read_secret(path: Path) -> bytes:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ConfigError(f"cannot read the token secret {path}: {exc.strerror}") from exc
    with os.fdopen(fd, "rb") as src:
        mode = os.fstat(src.fileno()).st_mode
        if stat.S_IMODE(mode) & 0o077:
            raise ConfigError(
                f"{path} may be read by other users (mode {stat.S_IMODE(mode):04o}); "
                f"run `chmod 600 {path}`"
            )
        secret = src.read()
    if len(secret) < SECRET_BYTES:
        raise ConfigError(f"{path} holds fewer than {SECRET_BYTES} bytes; delete it to regenerate")
    return secret
