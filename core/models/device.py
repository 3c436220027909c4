"""The fleet registry: one row per device, keyed by the id the device calls itself."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import field_validator
from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from core.models.types import UTCDateTime, utcnow

DEVICE_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
"""PROTOCOL.md: ``{id}`` in topics; anything else is rejected and counted."""


class DeviceStatus(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    UNKNOWN = "unknown"


class DeviceBase(SQLModel):
    name: str = Field(max_length=128, index=True)
    type: str = Field(default="unknown", max_length=64, index=True)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    location: str | None = Field(default=None, max_length=128, index=True)
    firmware: str | None = Field(default=None, max_length=64)
    ip: str | None = Field(default=None, max_length=45)
    mac: str | None = Field(default=None, max_length=17)


class DeviceFacts(SQLModel):
    """What a device reports about itself (hello, flat-JSON attributes, accepted config)."""

    send_interval_s: int | None = None
    """From the last accepted ``update_config``; ``None`` means the protocol default."""
    hello_interval_s: int | None = None
    uptime_s: int | None = None
    buf_usage_pct: float | None = None
    broker_connections: int | None = None
    temp_internal: float | None = None
    attributes: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    settings: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]")
    )
    """The settings the device declared in its last hello (``core.protocol.settings``)."""


class Device(DeviceBase, DeviceFacts, table=True):
    id: str = Field(primary_key=True, max_length=64)
    status: DeviceStatus = Field(default=DeviceStatus.UNKNOWN, sa_type=String(16), index=True)
    last_seen: datetime | None = Field(default=None, sa_type=UTCDateTime)
    booted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    """When Warden last saw the device start (a new boot: ``status: online``, a hello with a
    lower uptime, a sequence back near 0); holds its command queue across a restart."""
    enabled: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeviceCreate(DeviceBase):
    """A device registered by hand. ``name`` defaults to the id."""

    id: str
    name: str = ""

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not DEVICE_ID_PATTERN.match(value):
            raise ValueError("a device id is 1-64 of A-Z a-z 0-9 _ . : -")
        return value


class DeviceUpdate(SQLModel):
    """Fields an operator may change; ``None`` keeps the current value."""

    name: str | None = None
    type: str | None = None
    tags: list[str] | None = None
    location: str | None = None
    firmware: str | None = None
    ip: str | None = None
    mac: str | None = None


class DevicePublic(DeviceBase, DeviceFacts):
    id: str
    status: DeviceStatus
    last_seen: datetime | None
    enabled: bool
    created_at: datetime
    updated_at: datetime


class DeviceFilter(SQLModel):
    """How ``list_devices`` narrows the fleet. Every given criterion must hold."""

    status: DeviceStatus | None = None
    type: str | None = None
    tag: str | None = None
    location: str | None = None
    enabled: bool | None = None
    text: str | None = None
