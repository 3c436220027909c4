"""Legacy sensors publishing flat JSON on ``{prefix}/{id}/data`` (PROTOCOL.md "Flat JSON"):
no envelope, no seq, no status, no commands. Each kind writes its time its own way
(``ts`` ISO, ``timestamp`` epoch ms, ``time`` ISO) and one nests its numbers, so a
collector meets every form the protocol allows."""

from __future__ import annotations

import json
from typing import Any

from core.protocol import TopicKind, encode_flat
from core.protocol.times import ms_to_iso
from simulator import faults
from simulator.device import Environment, VirtualDevice
from simulator.presets import AIR_QUALITY, CAMERA, DOOR_LOCK, TEMPERATURE, THERMOSTAT, DeviceSpec
from simulator.signals import AIR, CAMERA_CHANNELS, ROOM, THERMOSTAT_CHANNELS, Signals

TIME_KEYS = frozenset({"ts", "timestamp", "time"})

INTERVALS_S = {
    TEMPERATURE: 30.0,
    AIR_QUALITY: 60.0,
    CAMERA: 10.0,
    DOOR_LOCK: 20.0,
    THERMOSTAT: 30.0,
}
"""Nominal seconds between readings, per kind (divided by the fleet's rate)."""


def _dumps(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False).encode()


def count_values(obj: dict[str, Any], *, top: bool = True) -> int:
    """Number and boolean fields (at any depth): what Warden turns into measurements."""
    total = 0
    for key, value in obj.items():
        if top and key in TIME_KEYS:
            continue
        if isinstance(value, dict):
            total += count_values(value, top=False)
        elif isinstance(value, bool | int | float):
            total += 1
    return total


class FlatSensor(VirtualDevice):
    protocol = "flat"

    def __init__(self, spec: DeviceSpec, env: Environment) -> None:
        super().__init__(spec, env)
        self.interval_s = INTERVALS_S[spec.kind]
        self._last_ms = 0
        self._silent_until = 0.0
        channels = {
            TEMPERATURE: ROOM,
            AIR_QUALITY: AIR,
            CAMERA: CAMERA_CHANNELS,
            THERMOSTAT: THERMOSTAT_CHANNELS,
            DOOR_LOCK: (),
        }[spec.kind]
        self.signals = Signals(channels, self.rng)
        self._battery = self.rng.uniform(60.0, 100.0)
        self._locked = True
        self._door_open = False
        self._setpoint = self.rng.choice((19.5, 20.0, 20.5, 21.0, 21.5))

    def start(self) -> None:
        first = self.env.real(self.interval_s) * self.rng.uniform(0.1, 1.0)
        self.schedule("send", first, self._due)

    def _due(self) -> None:
        self.schedule("send", self.env.real(self.interval_s), self._due)
        now = self.env.now()
        if now < self._silent_until or not self.online() or self.backlogged():
            return
        ts_ms = max(int(now * 1000), self._last_ms + 1)
        self._last_ms = ts_ms
        body = self.reading()
        payload = self._stamped(body, ts_ms)
        if not self.publish(TopicKind.DATA, payload, message_type="data"):
            return
        self.counters.data_messages += 1
        self.counters.data_values += count_values(body)
        if self.dice.hits(faults.DUPLICATES):
            self.publish(TopicKind.DATA, payload, message_type="data")
            self.counters.duplicates += 1
        if self.dice.hits(faults.MALFORMED):
            variant = self.dice.choice(("not_json", "not_utf8"))
            broken = faults.flat_malformed_payload(variant, payload)
            self.publish(TopicKind.DATA, broken, message_type="malformed")
            self.counters.malformed += 1
        if self.dice.hits(faults.SILENCE):
            self.counters.silences += 1
            self._silent_until = now + self.env.real(self.interval_s * self.dice.silence_factor())

    def _stamped(self, body: dict[str, Any], ts_ms: int) -> bytes:
        kind = self.spec.kind
        if kind == TEMPERATURE:
            return _dumps({"timestamp": ts_ms, **body})
        if kind == CAMERA:
            return _dumps({"time": ms_to_iso(ts_ms), **body})
        return encode_flat(body, ts_ms=ts_ms)

    def reading(self) -> dict[str, Any]:
        """One report's fields (without the time)."""
        kind = self.spec.kind
        rng = self.rng
        self._battery = max(5.0, self._battery - rng.uniform(0.0, 0.02))
        if kind == TEMPERATURE:
            values = self.signals.sample()
            return {
                "type": "temperature_sensor",
                "model": "TH-20",
                **values,
                "battery": round(self._battery),
                "rssi": rng.randint(-80, -45),
            }
        if kind == AIR_QUALITY:
            values = self.signals.sample()
            return {
                "type": "air_quality",
                "model": "AQ-5",
                "values": values,
                "aqi": round(values["pm2_5"] * 2.1),
            }
        if kind == CAMERA:
            values = self.signals.sample()
            return {
                "type": "camera",
                "model": "CAM-1080",
                "resolution": "1920x1080",
                **values,
                "motion": rng.random() < 0.1,
                "recording": True,
            }
        if kind == DOOR_LOCK:
            if rng.random() < 0.1:
                self._locked = not self._locked
                self._door_open = not self._locked and rng.random() < 0.5
            event = "locked" if self._locked else rng.choice(("unlocked_keypad", "unlocked_app"))
            return {
                "type": "door_lock",
                "model": "LK-3",
                "locked": self._locked,
                "door_open": self._door_open,
                "battery": round(self._battery),
                "last_event": event,
            }
        values = self.signals.sample()
        heating = values["temperature"] < self._setpoint
        return {
            "type": "thermostat",
            "model": "TS-2",
            "mode": "heat",
            "temperature": values["temperature"],
            "humidity": values["humidity"],
            "setpoint": self._setpoint,
            "heating": heating,
            "hvac": {"fan_on": heating, "power_w": values["power_w"] if heating else 0.0},
        }
