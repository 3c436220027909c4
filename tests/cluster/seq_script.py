"""A protocol input for several agents: a few devices, each with duplicates (copies as
through a second broker), gaps, out-of-order arrival, reboots announced by an ``online``
status or a hello, an unannounced restart and a seq wrap-around, in phases.

Within a phase the messages may be judged in any order and the order-independent figures
come out the same: every boot's first message is a phase of its own (a message before the
first one of a boot is never counted missing, so which one comes first matters), every
boot signal too, and no phase spans a window (1 024 seqs). ``gaps`` (gap *events*) is not
among those figures: seq 5 before 3 and 4 is a gap event that arrival in order is not,
though both end with nothing missing."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from core.protocol.times import ms_to_iso

PREFIX = "iot"
START_MS = 1_770_890_400_000
WRAP = 2**32


@dataclass(frozen=True, slots=True)
class Sent:
    """One message as a broker delivers it."""

    topic: str
    payload: bytes
    received_ms: int


class ScriptedDevice:
    """One device's messages, with its own clock (a second per message)."""

    def __init__(self, device_id: str, rng: random.Random) -> None:
        self.id = device_id
        self.rng = rng
        self.boot = 0
        self.clock_ms = START_MS

    def _sent(self, kind: str, body: dict) -> Sent:
        self.clock_ms += 1000
        body = {"v": 2, "device_id": self.id, "ts": ms_to_iso(self.clock_ms), **body}
        return Sent(f"{PREFIX}/{self.id}/{kind}", json.dumps(body).encode(), self.clock_ms)

    def telemetry(self, seq: int) -> Sent:
        value = self.rng.uniform(10, 20)
        return self._sent(
            "telemetry",
            {
                "seq": seq % WRAP,
                "msg_type": "telemetry",
                "measurements": [
                    {"type": "temperature", "val": value, "unit": "C"},
                    {"type": "humidity", "val": value * 3, "unit": "%"},
                ],
            },
        )

    def online(self) -> Sent:
        return self._sent("status", {"msg_type": "status", "status": "online"})

    def hello(self, seq: int, uptime_s: int) -> Sent:
        return self._sent(
            "hello",
            {
                "seq": seq,
                "msg_type": "hello",
                "fw_version": "1.0.0",
                "uptime_s": uptime_s,
                "broker_connections": 2,
                "buf_usage_pct": 0,
            },
        )

    def run(self, first: int, count: int) -> list[Sent]:
        """``count`` seqs after ``first``, one in 13 lost, one in 7 sent twice."""
        sent = []
        for seq in range(first + 1, first + 1 + count):
            if seq % 13 == 5:
                continue
            message = self.telemetry(seq)
            sent.append(message)
            if seq % 7 == 3:
                sent.append(message)
        return sent


def phases(devices: int = 8, seed: int = 20) -> list[list[Sent]]:
    """The input, phase by phase (each phase shuffled)."""
    rng = random.Random(seed)
    scripts = [_script(ScriptedDevice(f"dev-{n:02d}", rng), n % 4) for n in range(devices)]
    merged: list[list[Sent]] = []
    for step in range(max(len(s) for s in scripts)):
        phase = [m for s in scripts if step < len(s) for m in s[step]]
        rng.shuffle(phase)
        merged.append(phase)
    return merged


def _script(device: ScriptedDevice, kind: int) -> list[list[Sent]]:
    """Kind 0 reboots with a status, kind 1 with a hello of lower uptime, kind 2 wraps
    around 2³² and reboots with a status, kind 3 restarts unannounced (a low seq far
    behind)."""
    status = device.online()
    first = {2: WRAP - 40, 3: 5000}.get(kind, 0)
    script = [[status], [device.telemetry(first)]]
    script.append([*device.run(first, 150), status])  # the status again, via broker two
    after = first + 151
    script.append([device.hello(after % WRAP, 5000)])
    if kind in (0, 2):
        script += [[device.online()], [device.telemetry(0)]]
    elif kind == 1:
        hello = device.hello(0, 3)
        script += [[hello], [device.telemetry(1), hello]]
    else:
        script += [[device.telemetry(after + 1)], [device.telemetry(0)]]
    script.append(device.run(1, 100))
    return script
