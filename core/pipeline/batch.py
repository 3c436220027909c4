"""What one writer transaction carries."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.protocol import CommandAck, Hello, OtaStatus, ProtocolError, SeqState

Ack = Callable[[], None]


class Acknowledger(Protocol):
    """Tells a sender that a whole committed batch of its messages is safe, in one call: the
    MQTT collector sends every PUBACK of the batch with one wake-up of its network loop
    instead of one per message."""

    def acknowledge(self, receipts: list[object]) -> None:
        """Acknowledge the messages behind ``receipts`` (the ``RawMessage.receipt`` values
        this acknowledger handed out), in order."""
        ...


@dataclass(slots=True)
class RawMessage:
    """A message as it arrived, before anything was judged. Its sender learns that it is safe
    (only after the commit that stored it, or judged it a duplicate or a dead letter) through
    ``ack`` (one call per message: HTTP ingest) or through ``acknowledger`` given ``receipt``
    (one call per batch and acknowledger: MQTT)."""

    topic: str
    payload: bytes
    received_ms: int
    source: str = "mqtt"
    retained: bool = False
    """Delivered because it was retained on the broker: old news, not a live event."""
    ack: Ack | None = None
    acknowledger: Acknowledger | None = None
    receipt: object = None
    """What ``acknowledger`` needs to acknowledge this message (for MQTT, its PUBACK's
    pending future)."""


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


@dataclass
class IngestCounters:
    """Cumulative counts since the database was created (persisted with every batch)."""

    received: int = 0
    stored_messages: int = 0
    stored_measurements: int = 0
    duplicates: int = 0
    dead_letters: Counter[str] = field(default_factory=Counter)
    missing: int = 0
    batches: int = 0
    commit_failures: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "received": self.received,
            "stored_messages": self.stored_messages,
            "stored_measurements": self.stored_measurements,
            "duplicates": self.duplicates,
            "dead_letters": dict(self.dead_letters),
            "missing": self.missing,
            "batches": self.batches,
            "commit_failures": self.commit_failures,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IngestCounters:
        counters = cls()
        for name in (
            "received",
            "stored_messages",
            "stored_measurements",
            "duplicates",
            "missing",
            "batches",
            "commit_failures",
        ):
            setattr(counters, name, int(data.get(name, 0)))
        counters.dead_letters = Counter(data.get("dead_letters", {}))
        return counters

    def plus(self, batch: IngestBatch, received: int) -> IngestCounters:
        """These counts with one more committed batch of ``received`` messages (a new
        object: the counts stay as they are until the commit succeeded)."""
        dead_letters = Counter(self.dead_letters)
        dead_letters.update(d.reason for d in batch.dead_letters)
        return IngestCounters(
            received=self.received + received,
            stored_messages=self.stored_messages + batch.messages,
            stored_measurements=self.stored_measurements + len(batch.readings),
            duplicates=self.duplicates + batch.duplicates,
            dead_letters=dead_letters,
            missing=self.missing + sum(batch.gaps.values()),
            batches=self.batches + 1,
            commit_failures=self.commit_failures,
        )
