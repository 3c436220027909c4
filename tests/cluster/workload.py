"""A fleet's traffic with everything the sequence rules judge mixed in, in phases.

Meters (ingest_bench's AC and DC meters, 10 measurements each) each publish to their own
broker of two; every 13th message goes to both (the copy through the other broker is a
duplicate); every third device skips a seq now and then (a gap that never fills); every
tenth device counts through 2³²-1 to 0 (wrap-around); every fourth device reboots (a
``status`` online, then a fresh count from 0).

The phases end where the answer would otherwise depend on which agent judged which copy
first, which no deployment can order across agents: the first message of each device (the
count starts from the first seq seen) and the reboot (a boot signal and the messages of the
new count). ``expected`` holds what any correct judge stores and counts, whatever the order
inside a phase.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from benchmarks.ingest_bench import device_ids, rows_per_message, telemetry
from core.protocol import Status, TopicKind, encode, topic_for

WRAP = 2**32
BOTH_EVERY = 13
GAP_EVERY = 29


@dataclass(frozen=True)
class Publication:
    topic: str
    payload: bytes
    brokers: tuple[int, ...]
    """Indexes of the brokers it is published to: one, or both (a duplicate)."""


@dataclass
class Expected:
    """What every correct run stores and counts, in all."""

    messages: int = 0
    """Distinct telemetry messages, each stored exactly once."""
    rows: int = 0
    duplicates: int = 0
    missing: int = 0
    boots: dict[str, int] = field(default_factory=dict)
    """Boots per rebooting device (a device that never rebooted has no boot signal)."""
    statuses: int = 0
    """Status messages (stored as a device's state, counted with the stored messages)."""
    copies: int = 0
    """Messages the brokers deliver in all (a duplicate twice)."""


@dataclass
class Workload:
    phases: list[list[Publication]]
    expected: Expected


class _Device:
    def __init__(self, index: int, device_id: str) -> None:
        self.id = device_id
        self.broker = index % 2
        self.gaps = index % 3 == 0
        self.wraps = index % 10 == 0
        self.reboots = index % 4 == 1
        self.n = 0  # messages sent (each has its own ts)
        self.seq = 0


def build(*, devices: int = 200, per_device: int = 250) -> Workload:
    """``per_device`` telemetry messages of each of ``devices`` meters (a fifth of them
    after the reboot), with statuses and copies on top."""
    fleet = [_Device(i, d) for i, d in enumerate(device_ids(devices))]
    expected = Expected()
    before_reboot = per_device - per_device // 5
    first, stream, reboot, after = [], [], [], []
    for device in fleet:
        device.seq = WRAP - before_reboot // 2 if device.wraps else 1000 + device.n
        first.append(_message(device, expected, both=False))
    for step in range(1, before_reboot):
        for device in fleet:
            if device.gaps and step % GAP_EVERY == 7:
                device.seq = (device.seq + 1) % WRAP
                expected.missing += 1
            stream.append(_message(device, expected, both=step % BOTH_EVERY == 5))
    for device in fleet:
        if device.reboots:
            status = Status(device.id, telemetry(device.id, device.n).ts_ms, None, True)
            topic = topic_for(device.id, TopicKind.STATUS)
            reboot.append(Publication(topic, encode(status), (device.broker,)))
            expected.copies += 1
            expected.statuses += 1
            expected.boots[device.id] = 1
            device.seq = 0
    for step in range(per_device - before_reboot):
        for device in fleet:
            after.append(_message(device, expected, both=step % BOTH_EVERY == 3))
    return Workload([first, stream, reboot, after], expected)


def _message(device: _Device, expected: Expected, *, both: bool) -> Publication:
    message = replace(telemetry(device.id, device.n), seq=device.seq)
    device.n += 1
    device.seq = (device.seq + 1) % WRAP
    brokers = (0, 1) if both else (device.broker,)
    expected.messages += 1
    expected.rows += rows_per_message(device.id)
    expected.copies += len(brokers)
    expected.duplicates += len(brokers) - 1
    return Publication(topic_for(device.id, TopicKind.TELEMETRY), encode(message), brokers)
