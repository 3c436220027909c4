"""Canonical sentences: ``render(intent)`` writes an intent back in the plainest phrasing the
grammar reads, so that ``parse_intent(render(x))`` gives ``x`` again (tested)."""

from __future__ import annotations

from typing import Any

from core.intents.explain import impair_parts
from core.intents.model import Intent
from core.intents.schedule import render_timing
from core.intents.slots import REVOKE_NOUN_OF
from core.intents.targets import join_words, render_targets
from core.intents.units import format_number, format_rate


def render(intent: Intent) -> str:
    """The intent as one canonical sentence."""
    who = render_targets(intent.targets)
    body = _BODY[intent.kind](who, intent.params)
    schedule = intent.schedule.model_dump() if intent.schedule else None
    timing = render_timing(schedule, intent.duration_s)
    return f"{body} {timing}".strip()


def _limit(who: str, p: dict[str, Any]) -> str:
    rate = format_rate(p["rate_bps"])
    if p["direction"] == "both":
        return f"limit {who} to {rate}"
    return f"limit {'upload' if p['direction'] == 'up' else 'download'} of {who} to {rate}"


def _impair(who: str, p: dict[str, Any]) -> str:
    parts = impair_parts(p)
    return f"add {' and '.join(parts)} to {who}"


def _setting(who: str, p: dict[str, Any]) -> str:
    value = p["value"]
    if isinstance(value, bool):
        value = "true" if value else "false"
    elif isinstance(value, int | float):
        value = format_number(value)
    return f"set {p['key']} to {value} for {who}"


def _command(who: str, p: dict[str, Any]) -> str:
    command = p["command"]
    if command == "reboot":
        return f"reboot {who}"
    if command == "factory_reset":
        return f"factory reset {who}"
    if command == "request_status":
        return f"ask {who} for status"
    if p["fw_version"] is None:
        return f"upgrade {who}"
    return f"upgrade {who} to firmware {p['fw_version']}"


def _allow(who: str, p: dict[str, Any]) -> str:
    places = []
    for dest in p["destinations"]:
        text = dest["ip"]
        if "proto" in dest:
            text += f" {dest['proto']}"
        if "port" in dest:
            text += f" port {dest['port']}"
        places.append(text)
    return f"allow {who} to reach only {join_words(places)}"


def _revoke(who: str, p: dict[str, Any]) -> str:
    if "intent_id" in p:
        return f"cancel intent {p['intent_id']}"
    return f"remove all {REVOKE_NOUN_OF[p['kind']]} for {who}"


def _latency(who: str, p: dict[str, Any]) -> str:
    if p["target_ms"] is None:
        return f"minimize latency for {who}"
    return f"keep latency under {format_number(p['target_ms'])} ms for {who}"


_BLOCK = {"all": "block {who}", "internet": "block {who} from internet"}
_BLOCK["quarantine"] = "quarantine {who}"
_BODY = {
    "bandwidth_limit": _limit,
    "bandwidth_guarantee": lambda who, p: f"guarantee {format_rate(p['rate_bps'])} for {who}",
    "priority": lambda who, p: f"set priority of {who} to {p['level']}",
    "low_latency": _latency,
    "impair": _impair,
    "mqtt_qos": lambda who, p: f"use qos {p['level']} for {who}",
    "report_interval": lambda who, p: f"report every {p['send_interval_s']} s for {who}",
    "sampling": lambda who, p: f"sample every {p['sampling_cadence_ms']} ms on {who}",
    "power_saving": lambda who, p: (
        f"{'enable' if p['enabled'] else 'disable'} power saving for {who}"
    ),
    "device_setting": _setting,
    "device_command": _command,
    "device_state": lambda who, p: f"{'enable' if p['enabled'] else 'disable'} {who}",
    "block": lambda who, p: _BLOCK[p["scope"]].format(who=who),
    "allow_only": _allow,
    "unblock": lambda who, p: f"unblock {who}",
    "revoke": _revoke,
}
