"""Builders: the values read by a phrasing of ``kinds.TABLE`` → the intent's ``params`` (ranges
checked) and warnings.

Decisions: a ``revoke`` names either ``intent_id`` or ``kind``, never both; ``impair`` always
lists all three params (null when not said); ``allow_only`` destinations carry ``port`` and
``proto`` only when said, and a port or protocol belongs to the address it follows; setting
values "on/true/yes/enabled" and "off/false/no/disabled" are booleans, times are seconds (or
ms when the key ends in ``_ms``), rates bit/s, frequencies Hz; send and sampling intervals
must be whole seconds / milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.intents.model import IntentError
from core.intents.slots import Hertz
from core.intents.units import (
    FREQ_HZ,
    RATE_MAX,
    RATE_MIN,
    SETTING_UNITS,
    TIME_MS,
    check_range,
    format_number,
    format_rate,
    format_rate_range,
    rate_multiplier,
    whole,
)

Values = dict[str, Any]
Built = tuple[dict[str, Any], list[str]]
NETWORK_KINDS = frozenset({"bandwidth_limit", "low_latency", "priority", "impair"})
"""Kinds that apply to every device when no target is named."""

_DIRECTIONS = {"upload": "up", "uploads": "up", "upstream": "up", "egress": "up"}
_DIRECTIONS.update({"outbound": "up", "up": "up", "download": "down", "downloads": "down"})
_DIRECTIONS.update({"downstream": "down", "ingress": "down", "inbound": "down", "down": "down"})
DIRS = "|".join(_DIRECTIONS)


def _rate(values: Values) -> tuple[int, list[str]]:
    info, at = values["rate"]
    bps = info["bps"]
    if not RATE_MIN <= bps <= RATE_MAX:
        raise IntentError(
            "out_of_range",
            f"The rate {format_rate(bps)} is out of range: it must be between "
            f"{format_rate_range()}.",
            at=at,
        )
    warnings = []
    if info["bare"]:
        warnings.append(
            f"Read the bare number {info['text']} as {format_rate(bps)}; add a unit to be sure."
        )
    return bps, warnings


def build_limit(values: Values) -> Built:
    bps, warnings = _rate(values)
    direction = _DIRECTIONS.get(values.get("dir", ""), "both")
    return {"rate_bps": bps, "direction": direction}, warnings


def build_guarantee(values: Values) -> Built:
    bps, warnings = _rate(values)
    return {"rate_bps": bps}, warnings


def build_priority(values: Values) -> Built:
    return priority_builder(8)(values)


def priority_builder(default: int) -> Callable[[Values], Built]:
    """A priority said with a level, or ``default`` when none is ("lower the priority" 2)."""

    def build(values: Values) -> Built:
        level, at = values.get("level", (default, 0))
        check_range(level, 1, 10, "Priority", "", at)
        return {"level": level}, []

    return build


def build_latency(values: Values) -> Built:
    if "lat" not in values:
        return {"target_ms": None}, []
    target, at = values["lat"]
    check_range(target, 1, 10_000, "The latency target", " ms", at)
    return {"target_ms": whole(target)}, []


def build_impair(values: Values) -> Built:
    found: dict[str, Any] = {}
    if "impair" in values:
        found, _ = values["impair"]
    at = values.get("impair", values.get("loss", values.get("delay", (None, 0))))[1]
    if "loss" in values:
        found = {"loss_pct": values["loss"][0]}
    if "delay" in values:
        found = {"delay_ms": values["delay"][0]}
    for name, what in (("delay_ms", "Delay"), ("jitter_ms", "Jitter")):
        if name in found:
            check_range(found[name], 0, 10_000, what, " ms", at)
    if "loss_pct" in found:
        check_range(found["loss_pct"], 0, 100, "Packet loss", "%", at)
    params = {name: found.get(name) for name in ("delay_ms", "jitter_ms", "loss_pct")}
    for name in ("delay_ms", "jitter_ms"):
        if params[name] is not None:
            params[name] = whole(params[name])
    if params["loss_pct"] is not None:
        params["loss_pct"] = float(params["loss_pct"])
    return params, []


def qos_builder(level: int | None = None) -> Callable[[Values], Built]:
    def build(values: Values) -> Built:
        chosen, at = (level, 0) if level is not None else values["level"]
        check_range(chosen, 0, 2, "MQTT QoS", "", at)
        return {"level": chosen}, []

    return build


def _whole_in_range(
    values: Values, name: str, low: int, high: int, what: str, unit: str, scale: float
) -> int:
    raw, at = values[name]
    value = raw * scale
    check_range(value, low, high, what, unit, at)
    if not float(round(value, 9)).is_integer():
        raise IntentError("bad_value", f"{what} must be a whole number of{unit}.", at=at)
    return round(value)


def build_report(values: Values) -> Built:
    seconds = _whole_in_range(values, "interval", 1, 3600, "The send interval", " s", 1)
    return {"send_interval_s": seconds}, []


SAMPLING_RATE_HZ = (8_000, 384_000)
"""A frequency above ``CADENCE_MAX_HZ`` is a signal's sampling rate (audio), in this range."""
CADENCE_MAX_HZ = 10
"""A frequency up to this is an interval: "sample at 2 hz" is every 500 ms."""


def build_sampling(values: Values) -> Built:
    said, at = values["cadence"]
    if isinstance(said, Hertz):
        if said <= CADENCE_MAX_HZ:
            values = {**values, "cadence": (1000 / said, at)}
        else:
            low, high = SAMPLING_RATE_HZ
            if not low <= said <= high:
                raise IntentError(
                    "out_of_range",
                    f"A sampling rate of {format_number(said)} Hz is out of range: a rate must "
                    f"be between {low} Hz and {high} Hz (a signal such as audio), or at most "
                    f"{CADENCE_MAX_HZ} Hz (read as a sampling interval of 100 ms or more).",
                    at=at,
                )
            if not float(round(said, 6)).is_integer():
                raise IntentError(
                    "bad_value", "A sampling rate must be a whole number of Hz.", at=at
                )
            return {"sampling_rate_hz": round(said)}, []
    cadence = _whole_in_range(values, "cadence", 100, 60_000, "The sampling interval", " ms", 1)
    return {"sampling_cadence_ms": cadence}, []


def _switch(values: Values, default: bool = True) -> bool:
    word = values.get("sw")
    if word is None:
        return default
    return word in ("enable", "on", "activate")


def build_power(values: Values) -> Built:
    return {"enabled": _switch(values)}, []


def build_state(values: Values) -> Built:
    return {"enabled": _switch(values)}, []


def build_setting(values: Values) -> Built:
    key, _ = values["key"]
    if "sw" in values:
        if not key.endswith("_enabled"):
            key += "_enabled"
        return {"key": key, "value": _switch(values)}, []
    (form, *rest), at = values["value"]
    if form == "word":
        word = rest[0]
        bools = {"on": True, "true": True, "yes": True, "enabled": True}
        bools.update({"off": False, "false": False, "no": False, "disabled": False})
        return {"key": key, "value": bools.get(word, word)}, []
    number, unit = rest
    return {"key": key, "value": whole(_setting_number(key, number, unit, at))}, []


def _setting_number(key: str, number: float, unit: str | None, at: int) -> float:
    if unit is None or unit == "%" or unit.lower() in ("percent", "pct"):
        return number
    low = unit.lower()
    if low in SETTING_UNITS:
        return number
    if low in TIME_MS:
        return number * TIME_MS[low] / (1 if key.endswith("_ms") else 1000)
    if low in FREQ_HZ:
        return number * FREQ_HZ[low]
    multiplier = rate_multiplier(unit)
    if multiplier is None:
        raise IntentError("unknown_unit", f"'{unit}' is not a unit Warden knows.", at=at)
    return round(number * multiplier)


def build_every(values: Values) -> Built:
    """ "capture every 3 s" → the setting ``capture_interval_s`` = 3, grounded by the
    resolver in what the device declares."""
    action, _ = values["action"]
    seconds, _ = values["interval"]
    return {"key": f"{action}_interval_s", "value": whole(round(seconds, 6))}, []


_FACTORS = {"double": 2.0, "triple": 3.0, "halve": 0.5, "quadruple": 4.0}
FACTOR_WORDS = "|".join(_FACTORS)


def build_scaled(values: Values) -> Built:
    """ "double the gain of mic-2": the device's current value times the factor, known only
    once the resolver reads what the device declares."""
    key, _ = values["key"]
    return {"key": key, "factor": _FACTORS[values["scale"]]}, []


def command_builder(name: str) -> Callable[[Values], Built]:
    def build(values: Values) -> Built:
        version = values["version"][0] if "version" in values else None
        return {"command": name, "fw_version": version}, []

    return build


def scope_builder(name: str) -> Callable[[Values], Built]:
    return lambda values: ({"scope": name}, [])


def build_allow(values: Values) -> Built:
    return {"destinations": values["dests"][0]}, []


def build_unblock(values: Values) -> Built:
    return {}, []


STOPPING = {
    "prioritizing": "priority",
    "prioritising": "priority",
    "throttling": "bandwidth_limit",
}
STOPPING.update({"limiting": "bandwidth_limit", "capping": "bandwidth_limit"})
STOPPING.update({"delaying": "impair", "blocking": "block", "quarantining": "block"})


def build_revoke(values: Values) -> Built:
    if "id" in values:
        intent_id, at = values["id"]
        check_range(intent_id, 1, 2**53, "The intent number", "", at)
        return {"intent_id": intent_id}, []
    if "stop" in values:
        return {"kind": STOPPING[values["stop"]]}, []
    return {"kind": values["revkind"][0]}, []
