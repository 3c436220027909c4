"""Request and response models of the REST API that ``core.models`` does not already have.
Secrets (passwords, tokens, API keys) only ever travel in the models made for them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.models import (
    ApiKeyPublic,
    DevicePublic,
    IntentCheckPublic,
    IntentPublic,
    Role,
)
from core.models.device import DEVICE_ID_PATTERN
from core.services.paging import Page as Page  # what every list route answers

# ---------------------------------------------------------------- auth


class LoginIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class RefreshIn(BaseModel):
    refresh_token: str = Field(min_length=1, max_length=4096)
    """Long enough for any token a client may mistake for it (an access token gets 401,
    not a validation error)."""


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int
    """Seconds the access token is valid."""


# ---------------------------------------------------------------- devices


class KeyIn(BaseModel):
    scopes: list[Literal["telemetry", "logs"]] = Field(default=["telemetry"], min_length=1)


class DeviceRegistered(BaseModel):
    """A device registered by hand, with its API key: shown this once, stored hashed."""

    device: DevicePublic
    key: ApiKeyPublic
    api_key: str


class KeyIssued(BaseModel):
    key: ApiKeyPublic
    api_key: str
    """The new key, shown this once."""


class KeyRevoked(BaseModel):
    revoked: int
    """How many active keys were revoked."""


class DeviceRegisterIn(BaseModel):
    id: str = Field(
        min_length=1,
        max_length=64,
        pattern=DEVICE_ID_PATTERN.pattern,
        description="1-64 of A-Z a-z 0-9 _ . : -",
    )
    name: str = Field(default="", max_length=128)
    type: str = Field(default="unknown", max_length=64)
    tags: list[str] = []
    location: str | None = Field(default=None, max_length=128)
    firmware: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=45)
    mac: str | None = Field(default=None, max_length=17)
    scopes: list[Literal["telemetry", "logs"]] = Field(default=["telemetry"], min_length=1)


class CommandIn(BaseModel):
    cmd: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = {}
    timeout_s: int = Field(default=60, ge=1, le=86_400)


# ---------------------------------------------------------------- findings, actions


class ResolveIn(BaseModel):
    why: str = Field(default="by hand", max_length=200)


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class RejectIn(BaseModel):
    reason: str = Field(default="", max_length=500)


# ---------------------------------------------------------------- intents


class IntentTextIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000)


class IntentPlanIn(IntentTextIn):
    replaces: list[int] = []


class IntentsSubmitted(BaseModel):
    intents: list[IntentPublic]
    ended: list[int]
    """Ids of the intents this submission ended (replaced or revoked)."""


class IntentDetail(BaseModel):
    intent: IntentPublic
    history: list[IntentCheckPublic]


# ---------------------------------------------------------------- catalog, maintenance


class CatalogEditIn(BaseModel):
    changes: dict[str, Any] = Field(min_length=1)
    """Fields of the definition to change; the result must validate as a whole."""


class MaintenanceIn(BaseModel):
    reason: str = Field(default="maintenance", min_length=1, max_length=200)
    selector: dict[str, Any]
    """``{"all": true}`` or any of ``device``, ``type``, ``tag``, ``location``."""
    starts_at: datetime | None = None
    """Default: now."""
    ends_at: datetime
    every: Literal["day", "week"] | None = None
    repeat_until: datetime | None = None


# ---------------------------------------------------------------- users


class UserCreateIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    role: Role


class UserUpdateIn(BaseModel):
    role: Role | None = None
    disabled: bool | None = None


class PasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=1024)
    current_password: str | None = Field(default=None, max_length=1024)
    """Needed when the user is the caller (an admin resetting someone else's needs none)."""


class OwnPasswordIn(BaseModel):
    current_password: str = Field(min_length=1, max_length=1024)
    password: str = Field(min_length=1, max_length=1024)
