"""One plain sentence per intent that a person can check: what, on which devices, with the
canonical units written out ("Limit the bandwidth of every camera to 400 kbit/s in both
directions")."""

from __future__ import annotations

from typing import Any

from core.intents.schedule import DAYS
from core.intents.targets import describe, join_words
from core.intents.units import format_number, format_rate, format_seconds

_LEVEL_NAMES = {2: "low", 5: "normal", 8: "high", 9: "urgent", 10: "critical"}
_QOS_NAMES = {0: "at most once", 1: "at least once", 2: "exactly once"}
_REVOKED = {
    "bandwidth_limit": "bandwidth limit",
    "bandwidth_guarantee": "bandwidth guarantee",
    "priority": "priority",
    "low_latency": "low-latency setting",
    "impair": "delay, jitter and loss setting",
    "block": "block and quarantine",
    "allow_only": "allow-only rule",
    "mqtt_qos": "MQTT QoS setting",
    "report_interval": "send interval",
    "sampling": "sampling interval",
    "power_saving": "power saving setting",
    "device_setting": "device setting",
}


def explain(
    kind: str,
    targets: list[dict[str, Any]],
    params: dict[str, Any],
    schedule: dict[str, Any] | None,
    duration_s: int | None,
) -> str:
    who = describe(targets)
    text = _WHAT[kind](who, params)
    return text + _when(schedule, duration_s)


def _limit(who: str, p: dict[str, Any]) -> str:
    rate = format_rate(p["rate_bps"])
    if p["direction"] == "up":
        return f"Limit the upload bandwidth of {who} to {rate}"
    if p["direction"] == "down":
        return f"Limit the download bandwidth of {who} to {rate}"
    return f"Limit the bandwidth of {who} to {rate} in both directions"


def _priority(who: str, p: dict[str, Any]) -> str:
    name = _LEVEL_NAMES.get(p["level"])
    suffix = f" ({name})" if name else ""
    return f"Give the traffic of {who} priority {p['level']} of 10{suffix}"


def _latency(who: str, p: dict[str, Any]) -> str:
    if p["target_ms"] is None:
        return f"Keep the latency of {who} as low as possible"
    return f"Keep the latency of {who} under {format_number(p['target_ms'])} ms"


def impair_parts(p: dict[str, Any]) -> list[str]:
    """The impairments said, as phrases: "80 ms of delay", "2% packet loss"."""
    phrases = (
        ("delay_ms", "{} ms of delay"),
        ("jitter_ms", "{} ms of jitter"),
        ("loss_pct", "{}% packet loss"),
    )
    return [form.format(format_number(p[key])) for key, form in phrases if p[key] is not None]


def _impair(who: str, p: dict[str, Any]) -> str:
    return f"Add {join_words(impair_parts(p))} to the traffic of {who}"


def _setting(who: str, p: dict[str, Any]) -> str:
    value = p["value"]
    if isinstance(value, bool):
        value = "on" if value else "off"
    elif isinstance(value, int | float):
        value = format_number(value)
    return f"Set the device setting {p['key']} to {value} on {who}"


def _command(who: str, p: dict[str, Any]) -> str:
    command = p["command"]
    if command == "reboot":
        return f"Reboot {who}"
    if command == "factory_reset":
        return f"Reset {who} to factory settings, erasing every setting"
    if command == "request_status":
        return f"Ask {who} to report status now"
    version = p["fw_version"]
    to = f"version {version}" if version else "the latest version"
    return f"Update the firmware of {who} to {to}"


def _block(who: str, p: dict[str, Any]) -> str:
    if p["scope"] == "internet":
        return f"Block internet access for {who}; the local network stays reachable"
    if p["scope"] == "quarantine":
        return f"Quarantine {who}: only DHCP, DNS and the broker stay reachable"
    return f"Block all traffic to and from {who}"


def _allow(who: str, p: dict[str, Any]) -> str:
    places = []
    for dest in p["destinations"]:
        text = dest["ip"]
        if "port" in dest:
            text += f" port {dest['port']}"
        if "proto" in dest:
            text += f" over {dest['proto'].upper()}"
        places.append(text)
    return f"Allow {who} to reach only {join_words(places)} and block all other traffic"


def _revoke(who: str, p: dict[str, Any]) -> str:
    if "intent_id" in p:
        return f"Cancel intent {p['intent_id']}"
    return f"Cancel every {_REVOKED[p['kind']]} on {who}"


_WHAT = {
    "bandwidth_limit": _limit,
    "bandwidth_guarantee": lambda who, p: (
        f"Guarantee {who} at least {format_rate(p['rate_bps'])} of bandwidth"
    ),
    "priority": _priority,
    "low_latency": _latency,
    "impair": _impair,
    "mqtt_qos": lambda who, p: (
        f"Make {who} publish with MQTT QoS {p['level']} ({_QOS_NAMES[p['level']]})"
    ),
    "report_interval": lambda who, p: (
        f"Make {who} send data every {format_seconds(p['send_interval_s'])}"
    ),
    "sampling": lambda who, p: f"Make {who} sample every {p['sampling_cadence_ms']} ms",
    "power_saving": lambda who, p: f"Turn power saving {'on' if p['enabled'] else 'off'} for {who}",
    "device_setting": _setting,
    "device_command": _command,
    "device_state": lambda who, p: f"{'Enable' if p['enabled'] else 'Disable'} {who}",
    "block": _block,
    "allow_only": _allow,
    "unblock": lambda who, p: f"Lift every block and quarantine on {who}",
    "revoke": _revoke,
}


def _when(schedule: dict[str, Any] | None, duration_s: int | None) -> str:
    parts = []
    if schedule:
        days = schedule["days"]
        if tuple(days) == DAYS:
            on = "every day"
        elif tuple(days) == DAYS[:5]:
            on = "on weekdays"
        elif tuple(days) == DAYS[5:]:
            on = "at weekends"
        else:
            on = "on " + join_words(days)
        if schedule["start"]:
            parts.append(f"from {schedule['start']} to {schedule['end']} {on}")
        elif schedule["end"]:
            parts.append(f"until {schedule['end']} {on}")
        else:
            parts.append(on)
    if duration_s is not None:
        parts.append(f"for {format_seconds(duration_s)}")
    return (", " + ", ".join(parts)) if parts else ""
