"""What one writer transaction carries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.protocol import CommandAck, Hello, OtaStatus, ProtocolError, SeqState

Ack = Callable[[], None]


@dataclass(slots=True)
class RawMessage:
    """A message as it arrived, before anything was judged. ``ack`` tells the sender it is
    safe (called only after the commit that stored it, or judged it a duplicate or a dead
    letter)."""

    topic: str
    payload: bytes
    received_ms: int
    source: str = "mqtt"
    retained: bool = False
    """Delivered because it was retained on the broker: old news, not a live event."""
    ack: Ack | None = None


@dataclass(slots=True)
class DeadLetterRow:
    source: str
    topic: str
    reason: str
    detail: str
    size: int
    head: bytes
    received_ms: int

    @classmethod
    def from_error(cls, raw: RawMessage, error: ProtocolError, head_bytes: int) -> DeadLetterRow:
        return cls(
            source=raw.source,
            topic=raw.topic[:512],
            reason=str(error.reason),
            detail=error.detail[:500],
            size=len(raw.payload),
            head=bytes(raw.payload[:head_bytes]),
            received_ms=raw.received_ms,
        )


@dataclass(slots=True)
class DeviceSighting:
    """Everything one batch learned about one device."""

    last_seen_ms: int = 0
    type_hint: str | None = None
    live: bool = False
    """Something arrived live (not a retained replay): the device is online now."""
    went_offline: bool = False
    """The last message of the batch from this device was its last will."""
    hello: Hello | None = None
    attributes: dict[str, str] | None = None
    new_boot: bool = False


@dataclass(slots=True)
class IngestBatch:
    readings: list[tuple[str, str, str | None, int, float]] = field(default_factory=list)
    """(device_id, metric, unit, ts_ms, value)"""
    devices: dict[str, DeviceSighting] = field(default_factory=dict)
    seq_states: dict[str, SeqState] = field(default_factory=dict)
    acks: list[CommandAck] = field(default_factory=list)
    ota: list[OtaStatus] = field(default_factory=list)
    dead_letters: list[DeadLetterRow] = field(default_factory=list)
    messages: int = 0
    """Messages judged new (stored)."""
    duplicates: int = 0
    gaps: dict[str, int] = field(default_factory=dict)
    """Missing messages detected in this batch, by device."""
    senders: list[Ack] = field(default_factory=list)

    def sighting(self, device_id: str) -> DeviceSighting:
        found = self.devices.get(device_id)
        if found is None:
            found = self.devices[device_id] = DeviceSighting()
        return found

    def summary(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "readings": len(self.readings),
            "duplicates": self.duplicates,
            "dead_letters": len(self.dead_letters),
        }
