"""What a device said, decoded: one small frozen dataclass per message type.

Times are epoch milliseconds (UTC) as ``int``; values are ``float``.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.protocol.settings import DeclaredSetting


@dataclass(slots=True, frozen=True)
class Measurement:
    """One reading: becomes one row keyed by device, ``metric`` and ``ts_ms``."""

    metric: str
    ts_ms: int
    value: float
    unit: str | None


@dataclass(slots=True, frozen=True)
class Telemetry:
    device_id: str
    ts_ms: int
    seq: int
    measurements: tuple[Measurement, ...]


@dataclass(slots=True, frozen=True)
class Hello:
    device_id: str
    ts_ms: int
    seq: int
    fw_version: str
    uptime_s: int
    broker_connections: int
    buf_usage_pct: float
    temp_internal: float | None
    settings: tuple[DeclaredSetting, ...] | None = None
    """The settings the device declares (docs/protocol.md); None when it declares none."""


@dataclass(slots=True, frozen=True)
class Status:
    """``online`` on every connect, ``offline`` as the retained last will.

    A last will's ``ts`` (if it has one) is when the will was registered, i.e. the connect
    time: use the arrival time for "offline since". ``ts_ms`` is the arrival time when the
    payload has no ``ts`` (a bare ``{"status": "offline"}`` will).
    """

    device_id: str
    ts_ms: int
    seq: int | None
    online: bool


@dataclass(slots=True, frozen=True)
class CommandAck:
    device_id: str
    ts_ms: int
    seq: int
    cmd_id: str
    result: str
    """``accepted``, ``rejected``, ``error`` or ``unsupported``."""
    detail: str | None


@dataclass(slots=True, frozen=True)
class OtaStatus:
    device_id: str
    ts_ms: int
    seq: int
    cmd_id: str
    ota_state: str
    """``downloading``, ``verifying``, ``applying``, ``success`` or ``failed``."""
    progress_pct: float | None
    fw_version_target: str | None
    detail: str | None


@dataclass(slots=True, frozen=True)
class FlatData:
    """Flat JSON from a legacy sensor: no envelope, no ``seq``."""

    device_id: str
    ts_ms: int
    measurements: tuple[Measurement, ...]
    attributes: dict[str, str]


Message = Telemetry | Hello | Status | CommandAck | OtaStatus | FlatData

ACK_RESULTS = frozenset({"accepted", "rejected", "error", "unsupported"})
OTA_STATES = frozenset({"downloading", "verifying", "applying", "success", "failed"})
MAX_MEASUREMENTS = 200
"""Per message, v2 telemetry and flat JSON alike."""
MAX_METRIC_LEN = 128
MAX_UNIT_LEN = 32
