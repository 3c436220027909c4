"""Which devices a fleet has: presets, explicit counts, and stable device ids."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DC_METER = "dc_meter"
AC_METER = "ac_meter"
TEMPERATURE = "temperature"
AIR_QUALITY = "air_quality"
CAMERA = "camera"
DOOR_LOCK = "door_lock"
THERMOSTAT = "thermostat"

KINDS: dict[str, str] = {
    DC_METER: "dc-meter",
    AC_METER: "ac-meter",
    TEMPERATURE: "temp",
    AIR_QUALITY: "air",
    CAMERA: "cam",
    DOOR_LOCK: "lock",
    THERMOSTAT: "thermo",
}
"""Every kind of virtual device, with the stem of its ids (``dc-meter-001``)."""

METER_KINDS = frozenset({DC_METER, AC_METER})

PRESETS: dict[str, dict[str, int]] = {
    "home": {
        DC_METER: 1,
        AC_METER: 1,
        TEMPERATURE: 2,
        AIR_QUALITY: 1,
        CAMERA: 2,
        DOOR_LOCK: 1,
        THERMOSTAT: 1,
    },
    "office": {
        DC_METER: 1,
        AC_METER: 3,
        TEMPERATURE: 4,
        AIR_QUALITY: 2,
        CAMERA: 3,
        DOOR_LOCK: 2,
        THERMOSTAT: 1,
    },
    "factory": {
        DC_METER: 8,
        AC_METER: 10,
        TEMPERATURE: 4,
        AIR_QUALITY: 3,
        CAMERA: 3,
        DOOR_LOCK: 1,
        THERMOSTAT: 1,
    },
    "meters": {DC_METER: 5, AC_METER: 5},
}


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    device_id: str
    kind: str
    index: int
    """1-based position among devices of its kind."""

    @property
    def is_meter(self) -> bool:
        return self.kind in METER_KINDS


def resolve_counts(preset: str | None, counts: Mapping[str, int] | None) -> dict[str, int]:
    """How many devices of each kind: ``counts`` if given, else the preset's."""
    if counts is None:
        if preset not in PRESETS:
            raise ValueError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
        return dict(PRESETS[preset])
    unknown = sorted(set(counts) - set(KINDS))
    if unknown:
        raise ValueError(
            f"unknown device kind {', '.join(unknown)}; choose from {', '.join(KINDS)}"
        )
    for kind, count in counts.items():
        if type(count) is not int or count < 0 or count > 999:
            raise ValueError(f"count of {kind} must be an integer 0-999, got {count!r}")
    if sum(counts.values()) == 0:
        raise ValueError("a fleet needs at least one device")
    return {kind: counts.get(kind, 0) for kind in KINDS if counts.get(kind, 0)}


def plan(counts: Mapping[str, int]) -> list[DeviceSpec]:
    """Device specs in a stable order: kinds in ``KINDS`` order, ids numbered from 001."""
    return [
        DeviceSpec(device_id=f"{stem}-{index:03d}", kind=kind, index=index)
        for kind, stem in KINDS.items()
        for index in range(1, counts.get(kind, 0) + 1)
    ]
