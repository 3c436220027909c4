"""What the fleet sent, per device and in total, so a run can be compared with what Warden
stored."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields

MESSAGE_TYPES = (
    "status",
    "telemetry",
    "hello",
    "command_ack",
    "ota_status",
    "data",
    "malformed",
    "wrong_id",
    "syslog",
)
"""Keys of ``published``: the five v2 types, flat ``data``, the two injected bad kinds, and
the routers' syslog lines."""


@dataclass
class Counters:
    """Counts for one device, or summed over the fleet.

    A message sent to several brokers counts once here (``broker_publishes`` counts copies).
    """

    published: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MESSAGE_TYPES, 0))
    """Messages handed to the brokers by type, injected duplicates included."""
    telemetry_messages: int = 0
    """Valid v2 telemetry messages, each counted once (no duplicates, malformed or wrong ids)."""
    measurements: int = 0
    """Measurements in those messages."""
    data_messages: int = 0
    """Valid flat-JSON messages, each counted once."""
    data_values: int = 0
    """Number and boolean fields in those messages (the measurements Warden makes of them)."""
    duplicates: int = 0
    malformed: int = 0
    wrong_ids: int = 0
    gaps: int = 0
    seqs_skipped: int = 0
    reboots: int = 0
    """New boots after the first: reboot commands, factory resets and injected reboots."""
    silences: int = 0
    samples_dropped: int = 0
    """Samples lost because the device's buffer was full (brokers away or too slow)."""
    commands_received: int = 0
    acks_sent: int = 0
    acks: dict[str, int] = field(default_factory=dict)
    """Acks by result (``accepted``, ``rejected``, ``unsupported``, ``error``)."""
    broker_publishes: int = 0
    unconfirmed: int = 0
    """QoS 1/2 copies no broker acknowledged (connection cut or run ended first)."""

    def count(self, message_type: str, copies: int) -> None:
        self.published[message_type] += 1
        self.broker_publishes += copies

    def add(self, other: Counters) -> None:
        for item in fields(self):
            mine, theirs = getattr(self, item.name), getattr(other, item.name)
            if isinstance(mine, dict):
                merged = dict(mine)
                for key, value in theirs.items():
                    merged[key] = merged.get(key, 0) + value
                setattr(self, item.name, merged)
            else:
                setattr(self, item.name, mine + theirs)


@dataclass
class DeviceSummary:
    device_id: str
    kind: str
    protocol: str
    """``v2`` (power meters, smart devices), ``flat`` (legacy sensors) or ``syslog``
    (routers and access points)."""
    boots: int
    last_seq: int | None
    """The last seq used in the current boot (None for flat sensors or before any)."""
    fw_version: str | None
    counters: Counters


@dataclass
class FleetSummary:
    brokers: list[str]
    prefix: str
    seed: int
    rate: float
    faults: list[str]
    started_at: str
    duration_s: float
    devices: list[DeviceSummary]
    totals: Counters

    def device(self, device_id: str) -> DeviceSummary:
        for device in self.devices:
            if device.device_id == device_id:
                return device
        raise KeyError(device_id)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def to_json(self, *, indent: int | None = None) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=False)
