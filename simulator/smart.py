"""Smart devices speaking v2: a door camera, an audio node, a CO2 sensor and a heating
controller. Like the power meters (whose sequence numbers, status, OTA and commands they
share) but each measures its own things and declares the settings it accepts in every hello
(``settings``, see ``simulator.declared``); ``update_config`` of a declared key is checked
against its declaration and acknowledged with the new value.

They batch half a minute of samples and say hello every 15 s, so they do send hellos
(PROTOCOL.md: a device whose send interval is at most its hello interval sends none), and
Warden learns their firmware and settings within seconds of their first connect.
"""

from __future__ import annotations

from typing import Any

from simulator.declared import DECLARATIONS, DEFAULTS, checked, declared
from simulator.meters import PowerMeter
from simulator.presets import AUDIO, CO2, DOORCAM, HVAC, DeviceSpec
from simulator.settings import DEVICE_KEYS, STANDARD_KEYS, MeterSettings, Rejected, updated
from simulator.signals import Channel

CHANNELS: dict[str, tuple[Channel, ...]] = {
    DOORCAM: (
        Channel("fps", None, 15.0, 0.0, 0.4, 5.0, 30.0, 1, pull=0.3),
        Channel("bitrate_kbps", None, 2048.0, 400.0, 60.0, 256.0, 8192.0, 0),
        Channel("motion", None, 0.1, 0.0, 0.35, 0.0, 1.0, 0, pull=0.5),
    ),
    AUDIO: (
        Channel("sound_level_db", "dB", 38.0, 6.0, 1.5, 20.0, 95.0, 1),
        Channel("noise_floor_db", "dB", 28.0, 3.0, 0.3, 15.0, 50.0, 1),
    ),
    CO2: (
        Channel("co2", "ppm", 650.0, 150.0, 12.0, 400.0, 5000.0, 0),
        Channel("temperature", "Cel", 22.0, 2.0, 0.05, 5.0, 35.0, 2),
        Channel("humidity", "%", 42.0, 8.0, 0.2, 10.0, 95.0, 1),
    ),
    HVAC: (
        Channel("temperature", "Cel", 20.5, 1.5, 0.05, 5.0, 35.0, 2),
        Channel("humidity", "%", 40.0, 6.0, 0.2, 10.0, 95.0, 1),
        Channel("power_w", "W", 800.0, 300.0, 40.0, 0.0, 3000.0, 1),
    ),
}
SAMPLING_CADENCE_MS = 5000
SEND_INTERVAL_S = 30
HELLO_INTERVAL_S = 15


class SmartDevice(PowerMeter):
    protocol = "v2"

    def __init__(self, spec: DeviceSpec, env: Any) -> None:
        super().__init__(spec, env)
        self.declarations = declared(spec.kind)
        self.values: dict[str, Any] = {key: DEFAULTS[key] for key in self.declarations}

    def channels_for(self, spec: DeviceSpec) -> tuple[Channel, ...]:
        return CHANNELS[spec.kind]

    def default_settings(self) -> MeterSettings:
        return MeterSettings(
            SAMPLING_CADENCE_MS, SEND_INTERVAL_S, HELLO_INTERVAL_S, self.env.qos, self.env.brokers
        )

    def hello_extras(self) -> dict[str, Any]:
        """The declarations, each with the value the device runs with now (so that
        "double the gain of mic-2" has something to double)."""
        return {
            "settings": [
                {**entry, "value": self.values.get(entry["key"])}
                for entry in DECLARATIONS[self.spec.kind]
            ]
        }

    # ---------------------------------------------------------------- commands

    def _update_config(self, cmd_id: str, params: dict[str, Any]) -> None:
        """Declared keys are checked against their declaration, the protocol's own keys as
        a meter checks them; all or nothing."""
        values = {
            key: checked(self.declarations[key], v)
            for key, v in params.items()
            if key in self.declarations
        }
        rest = {key: v for key, v in params.items() if key not in self.declarations}
        unknown = sorted(set(rest) - STANDARD_KEYS - set(DEVICE_KEYS) - {"brokers"})
        if unknown:
            raise Rejected(
                f"unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"{self.device_id} declares {', '.join(self.declarations)}"
            )
        settings, detail = updated(self.settings, rest) if rest else (self.settings, "")
        self.values.update(values)
        shown = ", ".join(f"{key}={_shown(value)}" for key, value in values.items())
        if shown:
            detail = f"Config updated. New {shown}." if not detail else f"{detail[:-1]}, {shown}."
        relink = settings.brokers != self.settings.brokers
        self.settings = settings
        if relink:
            self._answer(cmd_id, "accepted", f"{detail} Rebooting.")
            self.reboot(abrupt=False, off_s=0.0)
            return
        self._answer(cmd_id, "accepted", detail)
        if rest:
            self._replan()

    def _factory_reset(self, cmd_id: str, params: dict[str, Any]) -> None:
        super()._factory_reset(cmd_id, params)
        self.values = {key: DEFAULTS[key] for key in self.declarations}


def _shown(value: Any) -> str:
    return "true" if value is True else "false" if value is False else str(value)
