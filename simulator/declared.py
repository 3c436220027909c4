"""Settings the smart devices declare in their hello and accept through ``update_config``
(the contract in docs/protocol.md, "Settings a device declares": key, type, unit, range or
choices, and the words that name them). Pure: no MQTT, no clock.

The declarations are plain JSON objects as they go on the wire; the simulator builds them
itself (it imports nothing of ``core`` but ``core.protocol``).
"""

from __future__ import annotations

import math
from typing import Any

from simulator.presets import AUDIO, CO2, DOORCAM, HVAC
from simulator.settings import Rejected

DECLARATIONS: dict[str, tuple[dict[str, Any], ...]] = {
    DOORCAM: (
        {
            "key": "capture_interval_s",
            "type": "number",
            "unit": "s",
            "min": 1,
            "max": 3600,
            "names": ["capture interval", "capture rate"],
            "verbs": ["capture", "snap"],
        },
        {
            "key": "resolution",
            "type": "enum",
            "choices": ["640x480", "1280x720", "1920x1080"],
            "words": {
                "vga": "640x480",
                "hd": "1280x720",
                "full hd": "1920x1080",
                "1080p": "1920x1080",
            },
            "names": ["resolution"],
        },
        {"key": "night_mode", "type": "boolean", "names": ["night mode"]},
    ),
    AUDIO: (
        {"key": "gain_db", "type": "number", "unit": "dB", "min": 0, "max": 40, "names": ["gain"]},
        {
            "key": "sample_rate_hz",
            "type": "integer",
            "unit": "Hz",
            "min": 8000,
            "max": 48000,
            "names": ["sample rate", "sampling rate"],
            "verbs": ["sample"],
        },
    ),
    CO2: (
        {
            "key": "read_interval_s",
            "type": "number",
            "unit": "s",
            "min": 5,
            "max": 3600,
            "names": ["read interval"],
            "verbs": ["read", "measure"],
            "measures": ["co2"],
        },
    ),
    HVAC: (
        {
            "key": "setpoint_c",
            "type": "number",
            "unit": "Cel",
            "min": 5,
            "max": 30,
            "names": ["setpoint", "target temperature"],
            "verbs": ["heat"],
            "measures": ["temperature"],
        },
        {
            "key": "mode",
            "type": "enum",
            "choices": ["off", "heat", "cool", "auto"],
            "words": {"heating": "heat", "cooling": "cool"},
            "names": ["mode", "hvac mode"],
        },
    ),
}

DEFAULTS: dict[str, Any] = {
    "capture_interval_s": 10,
    "resolution": "1920x1080",
    "night_mode": False,
    "gain_db": 12,
    "sample_rate_hz": 16000,
    "read_interval_s": 60,
    "setpoint_c": 21.0,
    "mode": "heat",
}
"""What a device runs with after a factory reset."""


def declared(kind: str) -> dict[str, dict[str, Any]]:
    """The declarations of ``kind`` by key."""
    return {entry["key"]: entry for entry in DECLARATIONS.get(kind, ())}


def checked(declaration: dict[str, Any], value: object) -> Any:
    """``value`` as the device stores it, or ``Rejected`` saying what the key takes."""
    key, kind = declaration["key"], declaration["type"]
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        raise Rejected(f"{key} must be true or false, got {value!r}")
    if kind == "enum":
        choice = declaration.get("words", {}).get(value, value) if isinstance(value, str) else None
        if choice in declaration["choices"]:
            return choice
        raise Rejected(f"{key} must be one of {', '.join(declaration['choices'])}, got {value!r}")
    if kind == "string":
        if isinstance(value, str):
            return value
        raise Rejected(f"{key} must be text, got {value!r}")
    number = _number(value)
    if number is None or (kind == "integer" and not float(number).is_integer()):
        what = "a whole number" if kind == "integer" else "a number"
        raise Rejected(f"{key} must be {what}, got {value!r}")
    low, high = declaration.get("min", -math.inf), declaration.get("max", math.inf)
    if not low <= number <= high:
        unit = f" {declaration['unit']}" if "unit" in declaration else ""
        raise Rejected(f"{key} must be {low:g}-{high:g}{unit}, got {number:g}")
    return int(number) if kind == "integer" else number


def _number(value: object) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None
