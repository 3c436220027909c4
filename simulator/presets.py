"""Which devices a fleet has: presets, explicit counts, stable device ids, and each device's
identity as an installer would register it (a name, a location, a Warden type, its firmware).

Three families of kinds: power meters and smart devices speak v2 (PROTOCOL.md) and answer
commands; legacy sensors publish flat JSON and take no commands; routers and access points
speak no MQTT at all and send syslog as OpenWRT would (``simulator.routers``).
"""

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
DOORCAM = "doorcam"
AUDIO = "audio"
CO2 = "co2"
HVAC = "hvac"
GATEWAY = "gateway"
ACCESS_POINT = "access_point"

KINDS: dict[str, str] = {
    DC_METER: "dc-meter",
    AC_METER: "ac-meter",
    TEMPERATURE: "temp",
    AIR_QUALITY: "air",
    CAMERA: "cam",
    DOOR_LOCK: "lock",
    THERMOSTAT: "thermo",
    DOORCAM: "doorcam",
    AUDIO: "mic",
    CO2: "co2",
    HVAC: "hvac",
    GATEWAY: "gw",
    ACCESS_POINT: "ap",
}
"""Every kind of virtual device, with the stem of its ids (``dc-meter-001``)."""

METER_KINDS = frozenset({DC_METER, AC_METER})
SMART_KINDS = frozenset({DOORCAM, AUDIO, CO2, HVAC})
"""v2 devices that declare their own settings in their hello."""
ROUTER_KINDS = frozenset({GATEWAY, ACCESS_POINT})
"""OpenWRT boxes: syslog only."""

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
    "demo": {
        DC_METER: 1,
        AC_METER: 1,
        TEMPERATURE: 2,
        DOORCAM: 2,
        AUDIO: 1,
        CO2: 1,
        HVAC: 1,
        GATEWAY: 1,
        ACCESS_POINT: 1,
    },
}
"""``demo`` is what ``warden serve --demo`` runs: every protocol, smart devices that declare
their settings, and an OpenWRT gateway and access point sending syslog (it needs a syslog
target)."""


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    location: str


IDENTITIES: dict[str, tuple[Identity, ...]] = {
    DC_METER: (Identity("solar-meter", "roof"),),
    AC_METER: (Identity("mains-meter", "utility room"),),
    TEMPERATURE: (Identity("living-room-temp", "living room"), Identity("bedroom-temp", "bedroom")),
    AIR_QUALITY: (Identity("kitchen-air", "kitchen"),),
    CAMERA: (Identity("porch-cam", "porch"), Identity("garage-cam", "garage")),
    DOOR_LOCK: (Identity("front-door-lock", "front door"),),
    THERMOSTAT: (Identity("hall-thermostat", "hallway"),),
    DOORCAM: (Identity("front-doorcam", "front door"), Identity("garden-doorcam", "garden gate")),
    AUDIO: (Identity("nursery-mic", "nursery"),),
    CO2: (Identity("office-co2", "office"),),
    HVAC: (Identity("living-room-hvac", "living room"),),
    GATEWAY: (Identity("main-gateway", "utility room"),),
    ACCESS_POINT: (Identity("hall-ap", "hallway"),),
}
"""Names and places of the first devices of each kind; later ones are numbered."""

TYPES: dict[str, str] = {
    DC_METER: "power_meter_dc",
    AC_METER: "power_meter_ac",
    TEMPERATURE: "temperature_sensor",
    AIR_QUALITY: "air_quality",
    CAMERA: "camera",
    DOOR_LOCK: "door_lock",
    THERMOSTAT: "thermostat",
    DOORCAM: "camera",
    AUDIO: "audio",
    CO2: "sensor_co2",
    HVAC: "thermostat",
    GATEWAY: "router",
    ACCESS_POINT: "access_point",
}
"""The Warden device type of each kind (what intents and playbooks select on)."""

FIRMWARE: dict[str, str] = {
    DC_METER: "2.1.0",
    AC_METER: "2.1.0",
    TEMPERATURE: "1.4.2",
    AIR_QUALITY: "3.0.1",
    CAMERA: "5.2.0",
    DOOR_LOCK: "1.1.7",
    THERMOSTAT: "2.8.3",
    DOORCAM: "4.3.1",
    AUDIO: "1.9.0",
    CO2: "2.0.4",
    HVAC: "3.1.2",
    GATEWAY: "OpenWrt 24.10.0 r28427-6df0e3d02a",
    ACCESS_POINT: "OpenWrt 23.05.5 r24106-10cc5fcd00",
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

    @property
    def is_smart(self) -> bool:
        return self.kind in SMART_KINDS

    @property
    def is_router(self) -> bool:
        return self.kind in ROUTER_KINDS

    @property
    def name(self) -> str:
        known = IDENTITIES.get(self.kind, ())
        if self.index <= len(known):
            return known[self.index - 1].name
        return f"{known[0].name if known else KINDS[self.kind]}-{self.index}"

    @property
    def location(self) -> str | None:
        known = IDENTITIES.get(self.kind, ())
        return known[self.index - 1].location if self.index <= len(known) else None

    @property
    def device_type(self) -> str:
        return TYPES[self.kind]

    @property
    def firmware(self) -> str:
        return FIRMWARE[self.kind]


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
