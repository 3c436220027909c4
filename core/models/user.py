"""Users, their refresh tokens, login throttling and device API keys.

Secrets are never stored: passwords as bcrypt hashes, refresh tokens and API keys as
SHA-256 digests of random tokens (a digest is enough for a 256-bit random secret; bcrypt is
for what people choose).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.models.changelog import Role
from core.models.types import UTCDateTime, utcnow


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True, index=True)
    password_hash: str = Field(max_length=100)
    role: Role = Field(sa_type=String(16))
    disabled: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class UserPublic(SQLModel):
    id: int
    name: str
    role: Role
    disabled: bool
    created_at: datetime
    updated_at: datetime
    """Moves with every password, role or disabled change: a web session made before it
    is no longer honoured."""
    last_login_at: datetime | None


class RefreshToken(SQLModel, table=True):
    """One refresh token. Tokens issued from one login share a ``family``: using a token
    that was already used (stolen and replayed) revokes the whole family."""

    __tablename__ = "refresh_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE", index=True)
    family: str = Field(max_length=32, index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginThrottle(SQLModel, table=True):
    """Failed logins per account name (known or not) and per client address."""

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("key", name="uq_login_throttle_key"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128)
    """``user:NAME`` or ``addr:ADDRESS``."""
    failures: int = 0
    last_failure_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    blocked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKey(SQLModel, table=True):
    """A device's HTTP credential (``X-API-Key``): shown once, stored as a digest, found by
    its prefix."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    device_id: str = Field(foreign_key="device.id", ondelete="CASCADE", max_length=64, index=True)
    prefix: str = Field(max_length=16, index=True)
    key_hash: str = Field(max_length=64, unique=True)
    scopes: str = Field(default="telemetry", max_length=64)
    """Comma-separated: ``telemetry`` (device routes), ``logs`` (``POST /logs/ingest``)."""
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKeyPublic(SQLModel):
    id: int
    device_id: str
    prefix: str
    scopes: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
