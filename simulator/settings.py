"""A power meter's settings and how ``update_config`` and ``start_ota`` change them (pure: no
MQTT, no clock). Parameters are checked with ``core.protocol.validate_command``, the same
rules Warden applies before it sends a command, plus the meter's own keys."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from core.protocol import ProtocolError, validate_command
from simulator.links import BrokerUrl

DEVICE_KEYS: dict[str, tuple[int, int]] = {"mqtt_qos": (1, 2)}
"""Device-specific ``update_config`` keys a power meter understands, with their ranges
(telemetry is QoS 1 or 2 in PROTOCOL.md)."""
STANDARD_KEYS = frozenset({"sampling_cadence_ms", "send_interval_s", "hello_interval_s"})
BAD_SHA256 = "0" * 64
"""A ``start_ota`` with this digest fails at ``verifying`` (to exercise failed upgrades)."""


class Rejected(ValueError):
    """A command's parameters break PROTOCOL.md; the message goes into the ack's detail."""


@dataclass(frozen=True, slots=True)
class MeterSettings:
    sampling_cadence_ms: int
    send_interval_s: int
    hello_interval_s: int
    mqtt_qos: int
    brokers: tuple[BrokerUrl, ...]

    @property
    def sends_hello(self) -> bool:
        """PROTOCOL.md: a device whose send interval is at most its hello interval sends no
        hello (telemetry is its heartbeat)."""
        return self.send_interval_s > self.hello_interval_s


def _checked(cmd: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        return validate_command(cmd, params)
    except ProtocolError as exc:
        raise Rejected(exc.detail) from None


def updated(settings: MeterSettings, params: dict[str, Any]) -> tuple[MeterSettings, str]:
    """The settings after ``update_config`` with ``params``, and the ack's detail.

    All or nothing: an unknown key or a value out of range raises ``Rejected`` and nothing
    changes. Omitted keys keep their value.
    """
    normal = _checked("update_config", params)
    unknown = sorted(set(normal) - STANDARD_KEYS - set(DEVICE_KEYS) - {"brokers"})
    if unknown:
        raise Rejected(f"unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    changes: dict[str, Any] = {key: normal[key] for key in STANDARD_KEYS & set(normal)}
    for key, (low, high) in DEVICE_KEYS.items():
        if key in normal:
            value = normal[key]
            if type(value) is not int or not low <= value <= high:
                raise Rejected(f"{key} must be a whole number {low}-{high}, got {value!r}")
            changes[key] = value
    if "brokers" in normal:
        changes["brokers"] = tuple(
            BrokerUrl(host=item["host"], port=item["port"]) for item in normal["brokers"]
        )
    shown = ", ".join(
        f"{key}={','.join(map(str, changes[key])) if key == 'brokers' else changes[key]}"
        for key in params
        if key in changes
    )
    return replace(settings, **changes), f"Config updated. New {shown}."


@dataclass(frozen=True, slots=True)
class Upgrade:
    fw_version: str
    fails: bool
    """True when the digest is ``BAD_SHA256``: the upgrade fails at ``verifying``."""


def upgrade(params: dict[str, Any], *, current: str) -> Upgrade:
    """Check ``start_ota`` params; ``Rejected`` names the bad one."""
    normal = _checked("start_ota", params)
    if normal["fw_version"] == current:
        raise Rejected(f"already running {current}")
    return Upgrade(fw_version=normal["fw_version"], fails=normal["fw_sha256"] == BAD_SHA256)


def no_params(cmd: str, params: dict[str, Any]) -> None:
    """``reboot``, ``factory_reset`` and ``request_status`` take no parameters."""
    _checked(cmd, params)
