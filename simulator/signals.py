"""Plausible readings: bounded random walks pulled back towards a per-device centre."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Channel:
    """How one metric of one kind of device behaves."""

    metric: str
    unit: str | None
    centre: float
    spread: float
    """How far one device's centre may sit from ``centre``."""
    step: float
    """Standard deviation of one sample's change."""
    low: float
    high: float
    digits: int
    pull: float = 0.05
    """Fraction of the distance to the centre recovered per sample."""


class Walk:
    """A value drifting around its centre, never leaving ``low`` … ``high``."""

    __slots__ = ("_centre", "_channel", "value")

    def __init__(self, channel: Channel, rng: random.Random) -> None:
        self._channel = channel
        self._centre = channel.centre + rng.uniform(-channel.spread, channel.spread)
        self.value = self._centre

    def next(self, rng: random.Random) -> float:
        channel = self._channel
        self.value += rng.gauss(0.0, channel.step) + (self._centre - self.value) * channel.pull
        self.value = min(max(self.value, channel.low), channel.high)
        return round(self.value, channel.digits)


class Signals:
    """One device's walks, one per channel, fed by the device's own random stream."""

    def __init__(self, channels: tuple[Channel, ...], rng: random.Random) -> None:
        self._rng = rng
        self._walks = {channel.metric: Walk(channel, rng) for channel in channels}

    def sample(self) -> dict[str, float]:
        return {metric: walk.next(self._rng) for metric, walk in self._walks.items()}

    def next(self, metric: str) -> float:
        return self._walks[metric].next(self._rng)


DC_CHANNELS = (
    Channel("voltage_dc", "V", 750.0, 30.0, 1.5, 600.0, 900.0, 1),
    Channel("current_dc", "A", 300.0, 80.0, 6.0, 0.0, 600.0, 1),
    Channel("temperature", "Cel", 35.0, 5.0, 0.1, -20.0, 90.0, 1),
)
AC_CHANNELS = (
    Channel("voltage_ac", "V", 230.0, 3.0, 0.4, 200.0, 260.0, 1),
    Channel("current_ac", "A", 20.0, 10.0, 0.8, 0.0, 80.0, 2),
    Channel("frequency", "Hz", 50.0, 0.02, 0.01, 49.5, 50.5, 3, pull=0.2),
    Channel("pf", None, 0.93, 0.04, 0.005, 0.5, 1.0, 3),
    Channel("thd_v", "%", 2.5, 0.8, 0.05, 0.0, 10.0, 2),
    Channel("thd_i", "%", 8.0, 3.0, 0.3, 0.0, 40.0, 2),
)
INTERNAL_TEMPERATURE = Channel("temp_internal", "Cel", 42.0, 4.0, 0.2, 20.0, 85.0, 1)

ROOM = (
    Channel("temperature", "Cel", 21.5, 2.0, 0.05, 5.0, 35.0, 2),
    Channel("humidity", "%", 45.0, 8.0, 0.2, 10.0, 95.0, 1),
)
AIR = (
    Channel("pm2_5", "ug/m3", 12.0, 5.0, 0.6, 0.0, 300.0, 1),
    Channel("pm10", "ug/m3", 20.0, 6.0, 0.8, 0.0, 400.0, 1),
    Channel("co2", "ppm", 650.0, 150.0, 12.0, 400.0, 5000.0, 0),
    Channel("voc", "ppb", 180.0, 60.0, 6.0, 0.0, 3000.0, 0),
    Channel("temperature", "Cel", 22.0, 2.0, 0.05, 5.0, 35.0, 2),
    Channel("humidity", "%", 42.0, 8.0, 0.2, 10.0, 95.0, 1),
)
CAMERA_CHANNELS = (
    Channel("fps", None, 15.0, 0.0, 0.4, 5.0, 30.0, 1, pull=0.3),
    Channel("bitrate_kbps", None, 2048.0, 400.0, 60.0, 256.0, 8192.0, 0),
    Channel("storage_used_pct", "%", 40.0, 20.0, 0.02, 0.0, 100.0, 2, pull=0.0),
)
THERMOSTAT_CHANNELS = (
    Channel("temperature", "Cel", 20.5, 1.5, 0.05, 5.0, 35.0, 2),
    Channel("humidity", "%", 40.0, 6.0, 0.2, 10.0, 95.0, 1),
    Channel("power_w", "W", 800.0, 300.0, 40.0, 0.0, 3000.0, 1),
)
