"""How each intent kind is said, in one table that ``explain.py`` and ``render.py`` both
read: per kind, ``explain`` writes the plain sentence a person checks ("Limit the bandwidth
of every camera to 400 kbit/s in both directions") and ``render`` the canonical sentence
the grammar reads back ("limit cameras to 400 kbit/s"). Both take the targets as already
worded and the intent's ``params``; the timing is added by their callers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from core.intents.params import (
    AllowParams,
    DeviceSettingParams,
    ImpairParams,
    RevokeIdParams,
    RevokeParams,
    SamplingParams,
    SamplingRateParams,
    ScaledSettingParams,
)
from core.intents.slots import REVOKE_NOUN_OF
from core.intents.targets import join_words
from core.intents.units import format_number, format_rate, format_seconds

Phrase = Callable[[str, Any], str]
"""(targets as words, params) → the sentence without its timing."""


@dataclass(frozen=True, slots=True)
class KindPhrases:
    explain: Phrase
    """The plain sentence, capitalised, canonical units written out."""
    render: Phrase
    """The canonical sentence: ``parse_intent(render(x))`` gives ``x`` again."""


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
_BLOCK_EXPLAINED = {
    "internet": "Block internet access for {who}; the local network stays reachable",
    "quarantine": "Quarantine {who}: only DHCP, DNS and the broker stay reachable",
    "all": "Block all traffic to and from {who}",
}
_BLOCK_RENDERED = {
    "all": "block {who}",
    "internet": "block {who} from internet",
    "quarantine": "quarantine {who}",
}


def impair_parts(p: ImpairParams) -> list[str]:
    """The impairments said, as phrases: "80 ms of delay", "2% packet loss"."""
    phrases = (
        (p.delay_ms, "{} ms of delay"),
        (p.jitter_ms, "{} ms of jitter"),
        (p.loss_pct, "{}% packet loss"),
    )
    return [form.format(format_number(value)) for value, form in phrases if value is not None]


# ---------------------------------------------------------------- per kind


def _explain_limit(who: str, p: Any) -> str:
    rate = format_rate(p.rate_bps)
    if p.direction == "up":
        return f"Limit the upload bandwidth of {who} to {rate}"
    if p.direction == "down":
        return f"Limit the download bandwidth of {who} to {rate}"
    return f"Limit the bandwidth of {who} to {rate} in both directions"


def _render_limit(who: str, p: Any) -> str:
    rate = format_rate(p.rate_bps)
    if p.direction == "both":
        return f"limit {who} to {rate}"
    return f"limit {'upload' if p.direction == 'up' else 'download'} of {who} to {rate}"


def _explain_priority(who: str, p: Any) -> str:
    name = _LEVEL_NAMES.get(p.level)
    suffix = f" ({name})" if name else ""
    return f"Give the traffic of {who} priority {p.level} of 10{suffix}"


def _explain_latency(who: str, p: Any) -> str:
    if p.target_ms is None:
        return f"Keep the latency of {who} as low as possible"
    return f"Keep the latency of {who} under {format_number(p.target_ms)} ms"


def _render_latency(who: str, p: Any) -> str:
    if p.target_ms is None:
        return f"minimize latency for {who}"
    return f"keep latency under {format_number(p.target_ms)} ms for {who}"


_FACTOR_WORDS = {2.0: "double", 3.0: "triple", 0.5: "halve", 4.0: "quadruple"}


def _explain_setting(who: str, p: DeviceSettingParams) -> str:
    if isinstance(p, ScaledSettingParams):
        return f"{_FACTOR_WORDS[p.factor].capitalize()} the device setting {p.key} on {who}"
    return f"Set the device setting {p.key} to {_setting_value(p.value, 'on', 'off')} on {who}"


def _render_setting(who: str, p: DeviceSettingParams) -> str:
    if isinstance(p, ScaledSettingParams):
        return f"{_FACTOR_WORDS[p.factor]} {p.key} of {who}"
    value = _setting_value(p.value, "true", "false")
    return f"set {p.key} to {value} for {who}"


def _setting_value(value: Any, true: str, false: str) -> Any:
    if isinstance(value, bool):
        return true if value else false
    if isinstance(value, int | float):
        return format_number(value)
    return value


def _explain_command(who: str, p: Any) -> str:
    command = p.command
    if command == "reboot":
        return f"Reboot {who}"
    if command == "factory_reset":
        return f"Reset {who} to factory settings, erasing every setting"
    if command == "request_status":
        return f"Ask {who} to report status now"
    version = p.fw_version
    to = f"version {version}" if version else "the latest version"
    return f"Update the firmware of {who} to {to}"


def _render_command(who: str, p: Any) -> str:
    command = p.command
    if command == "reboot":
        return f"reboot {who}"
    if command == "factory_reset":
        return f"factory reset {who}"
    if command == "request_status":
        return f"ask {who} for status"
    if p.fw_version is None:
        return f"upgrade {who}"
    return f"upgrade {who} to firmware {p.fw_version}"


def _explain_allow(who: str, p: AllowParams) -> str:
    places = []
    for dest in p.destinations:
        text = dest.ip
        if dest.port is not None:
            text += f" port {dest.port}"
        if dest.proto is not None:
            text += f" over {dest.proto.upper()}"
        places.append(text)
    return f"Allow {who} to reach only {join_words(places)} and block all other traffic"


def _render_allow(who: str, p: AllowParams) -> str:
    places = []
    for dest in p.destinations:
        text = dest.ip
        if dest.proto is not None:
            text += f" {dest.proto}"
        if dest.port is not None:
            text += f" port {dest.port}"
        places.append(text)
    return f"allow {who} to reach only {join_words(places)}"


def _explain_revoke(who: str, p: RevokeParams) -> str:
    if isinstance(p, RevokeIdParams):
        return f"Cancel intent {p.intent_id}"
    return f"Cancel every {_REVOKED[p.kind]} on {who}"


def _render_revoke(who: str, p: RevokeParams) -> str:
    if isinstance(p, RevokeIdParams):
        return f"cancel intent {p.intent_id}"
    return f"remove all {REVOKE_NOUN_OF[p.kind]} for {who}"


def _sampling(p: SamplingParams) -> str:
    if isinstance(p, SamplingRateParams):
        return f"sample at {p.sampling_rate_hz} hz"
    return f"sample every {p.sampling_cadence_ms} ms"


def _on_off(enabled: bool, on: str, off: str) -> str:
    return on if enabled else off


PHRASES: dict[str, KindPhrases] = {
    "bandwidth_limit": KindPhrases(_explain_limit, _render_limit),
    "bandwidth_guarantee": KindPhrases(
        lambda who, p: f"Guarantee {who} at least {format_rate(p.rate_bps)} of bandwidth",
        lambda who, p: f"guarantee {format_rate(p.rate_bps)} for {who}",
    ),
    "priority": KindPhrases(
        _explain_priority,
        lambda who, p: f"set priority of {who} to {p.level}",
    ),
    "low_latency": KindPhrases(_explain_latency, _render_latency),
    "impair": KindPhrases(
        lambda who, p: f"Add {join_words(impair_parts(p))} to the traffic of {who}",
        lambda who, p: f"add {' and '.join(impair_parts(p))} to {who}",
    ),
    "mqtt_qos": KindPhrases(
        lambda who, p: f"Make {who} publish with MQTT QoS {p.level} ({_QOS_NAMES[p.level]})",
        lambda who, p: f"use qos {p.level} for {who}",
    ),
    "report_interval": KindPhrases(
        lambda who, p: f"Make {who} send data every {format_seconds(p.send_interval_s)}",
        lambda who, p: f"report every {p.send_interval_s} s for {who}",
    ),
    "sampling": KindPhrases(
        lambda who, p: f"Make {who} {_sampling(p).replace(' hz', ' Hz')}",
        lambda who, p: f"{_sampling(p)} on {who}",
    ),
    "power_saving": KindPhrases(
        lambda who, p: f"Turn power saving {_on_off(p.enabled, 'on', 'off')} for {who}",
        lambda who, p: f"{_on_off(p.enabled, 'enable', 'disable')} power saving for {who}",
    ),
    "device_setting": KindPhrases(_explain_setting, _render_setting),
    "device_command": KindPhrases(_explain_command, _render_command),
    "device_state": KindPhrases(
        lambda who, p: f"{_on_off(p.enabled, 'Enable', 'Disable')} {who}",
        lambda who, p: f"{_on_off(p.enabled, 'enable', 'disable')} {who}",
    ),
    "block": KindPhrases(
        lambda who, p: _BLOCK_EXPLAINED.get(p.scope, _BLOCK_EXPLAINED["all"]).format(who=who),
        lambda who, p: _BLOCK_RENDERED[p.scope].format(who=who),
    ),
    "allow_only": KindPhrases(_explain_allow, _render_allow),
    "unblock": KindPhrases(
        lambda who, p: f"Lift every block and quarantine on {who}",
        lambda who, p: f"unblock {who}",
    ),
    "revoke": KindPhrases(_explain_revoke, _render_revoke),
}
"""Every intent kind, in the order of ``kinds.TABLE``."""
