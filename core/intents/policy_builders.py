"""What each intent kind compiles to: the policies' specs, what "satisfied" means in words
and as a check, and a summary. Pure; ``compiler`` puts them on their targets.

Numbers:

- HTB prio from a priority level: ``round((10 - level) * 7 / 9)``, so 10 → 0 (best), 8 → 2,
  5 → 4, 1 → 7. Limits and guarantees carry prio 4 (level 5, "normal"); low_latency prio 0.
- A limit is ``rate = ceil = limit``; a guarantee is ``rate = guarantee`` with ``ceil`` None
  (up to the link); a priority or low_latency class has no rate of its own (None).
- Burst: 10 ms of traffic at the class rate, at least 1 600 bytes (one full frame):
  ``max(rate_bps * 10 // 8000, 1600)``; None when the class has no rate.
- Download ("down") is traffic to the device, upload ("up") traffic from it; "both" is one
  policy per direction. Priority, guarantee and low_latency act in both directions; impair
  acts on the download direction (the netem leaf of the device's class).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from core.intents.params import (
    AllowParams,
    CommandParams,
    DeviceSettingParams,
    GuaranteeParams,
    ImpairParams,
    LatencyParams,
    LimitParams,
    PriorityParams,
    SamplingParams,
    SamplingRateParams,
    ScaledSettingParams,
    StateParams,
)
from core.intents.policy import (
    DeviceCommandSpec,
    DeviceConfigSpec,
    DeviceStateSpec,
    FirewallAction,
    FirewallSpec,
    ImpairSpec,
    PolicySpec,
    ShapeSpec,
)
from core.intents.units import format_number, format_rate
from core.intents.wording import DIRECTION_WORD as _WORD
from core.intents.wording import destination_text, value_text

DEFAULT_PRIO = 4
BURST_MS = 10
MIN_BURST_BYTES = 1600
CADENCE_TOLERANCE_PCT = 10
LEAF = "fq_codel"
SAMPLE_RATE_KEY = "sample_rate_hz"
"""The ``update_config`` key a sampling rate in Hz is sent as."""

Direction = Literal["down", "up"]
BOTH: tuple[Direction, ...] = ("down", "up")
_DIRECTIONS: dict[str, tuple[Direction, ...]] = {"both": BOTH, "down": ("down",), "up": ("up",)}
_CADENCE = {
    "send_interval_s": ("report_interval_s", "s"),
    "sampling_cadence_ms": ("sample_interval_ms", "ms"),
}
_BLOCK_ACTION = {"all": "block", "internet": "internet_block", "quarantine": "quarantine"}

Part = tuple[PolicySpec, str, dict[str, Any], str]
"""spec, satisfied, check, summary (after the target's name)."""


def htb_prio(level: int) -> int:
    """Priority level 1 to 10 → HTB prio 7 to 0."""
    return round((10 - level) * 7 / 9)


def burst_bytes(rate_bps: int) -> int:
    return max(rate_bps * BURST_MS // 8000, MIN_BURST_BYTES)


def _shape(direction: Direction, rate: int | None, ceil: int | None, prio: int) -> ShapeSpec:
    return ShapeSpec(
        direction=direction,
        rate_bps=rate,
        ceil_bps=ceil,
        prio=prio,
        burst_bytes=None if rate is None else burst_bytes(rate),
        leaf=LEAF,
    )


def _config(rate: int | None, ceil: int | None, prio: int) -> dict[str, Any]:
    return {
        "measure": "class_config",
        "op": "==",
        "value": {"rate_bps": rate, "ceil_bps": ceil, "prio": prio},
    }


def _limit(params: LimitParams) -> list[Part]:
    rate = params.rate_bps
    return [
        (
            _shape(d, rate, rate, DEFAULT_PRIO),
            f"the {_WORD[d]} rate of the device's class stays at or below {format_rate(rate)}",
            {"measure": "class_rate_bps", "op": "<=", "value": rate},
            f"{_WORD[d]} limited to {format_rate(rate)} (HTB class, {LEAF} leaf)",
        )
        for d in _DIRECTIONS[params.direction]
    ]


def _guarantee(params: GuaranteeParams) -> list[Part]:
    rate = params.rate_bps
    return [
        (
            _shape(d, rate, None, DEFAULT_PRIO),
            f"the kernel holds a {_WORD[d]} class guaranteeing {format_rate(rate)} that may "
            "borrow up to the link",
            _config(rate, None, DEFAULT_PRIO),
            f"{_WORD[d]} guaranteed {format_rate(rate)}, may borrow up to the link "
            f"(HTB class, {LEAF} leaf)",
        )
        for d in BOTH
    ]


def _priority(params: PriorityParams) -> list[Part]:
    level = params.level
    prio = htb_prio(level)
    return [
        (
            _shape(d, None, None, prio),
            f"the kernel holds a {_WORD[d]} class with HTB prio {prio}",
            _config(None, None, prio),
            f"{_WORD[d]} at HTB prio {prio} (priority {level} of 10; HTB class, {LEAF} leaf)",
        )
        for d in BOTH
    ]


def _latency(params: LatencyParams) -> list[Part]:
    target = params.target_ms
    check = _config(None, None, 0)
    satisfied = "HTB prio 0 with an fq_codel leaf"
    summary = f"at HTB prio 0 with an {LEAF} leaf for low latency"
    if target is not None:
        check = {"all": [check, {"measure": "rtt_ms", "op": "<=", "value": target}]}
        satisfied += f", and probes see a round trip under {format_number(target)} ms"
        summary += f", target under {format_number(target)} ms"
    return [
        (
            _shape(d, None, None, 0),
            f"the kernel holds a {_WORD[d]} class at {satisfied}",
            check,
            f"{_WORD[d]} {summary}",
        )
        for d in BOTH
    ]


def _impair(params: ImpairParams) -> list[Part]:
    netem = {
        "delay_ms": params.delay_ms or 0,
        "jitter_ms": params.jitter_ms or 0,
        "loss_pct": float(params.loss_pct or 0),
    }
    words = [
        f"{format_number(netem['delay_ms'])} ms delay" if netem["delay_ms"] else "",
        f"{format_number(netem['jitter_ms'])} ms jitter" if netem["jitter_ms"] else "",
        f"{format_number(netem['loss_pct'])}% loss" if netem["loss_pct"] else "",
    ]
    what = ", ".join(word for word in words if word) or "nothing"
    return [
        (
            ImpairSpec(**netem),
            f"a netem leaf on traffic to the device adds {what}",
            {"measure": "netem", "op": "==", "value": netem},
            f"netem adds {what} to download traffic",
        )
    ]


def _firewall(action: FirewallAction, destinations: list[Any]) -> list[Part]:
    spec = FirewallSpec(action=action, destinations=destinations)
    places = ", ".join(destination_text(d) for d in spec.destinations)
    satisfied, summary = {
        "block": ("nftables drops all traffic to and from the address", "all traffic blocked"),
        "internet_block": (
            "nftables drops the traffic between the address and the internet",
            "internet blocked, local network reachable",
        ),
        "quarantine": (
            "nftables lets the address reach only DHCP, DNS and the broker",
            "quarantined: only DHCP, DNS and the broker reachable",
        ),
        "allow_only": (
            f"nftables lets the address reach only {places}",
            f"may reach only {places}, all else blocked",
        ),
        "unblock": (
            "no nftables block, quarantine or allow-only rule holds for the address",
            "every block and quarantine lifted",
        ),
    }[action]
    return [
        (
            spec,
            satisfied,
            {
                "measure": "firewall_action",
                "op": "==",
                "value": None if action == "unblock" else action,
            },
            f"{summary} (nftables)",
        )
    ]


def _device_config(key: str, value: Any) -> list[Part]:
    params = {key: value}
    acked: dict[str, Any] = {"measure": "config_acked", "op": "==", "value": params}
    satisfied = f"the device acked update_config {key}={value_text(value)}"
    check = acked
    if key in _CADENCE:
        measure, unit = _CADENCE[key]
        observed = {
            "measure": measure,
            "op": "~=",
            "value": value,
            "tolerance_pct": CADENCE_TOLERANCE_PCT,
        }
        check = {"all": [acked, observed]}
        verb = "reports" if key == "send_interval_s" else "samples"
        satisfied += f" and {verb} every {value} {unit} ± {CADENCE_TOLERANCE_PCT} %"
    return [
        (
            DeviceConfigSpec(params=params),
            satisfied,
            check,
            f"update_config {key}={value_text(value)}",
        )
    ]


def _command(params: CommandParams) -> list[Part]:
    cmd = params.command
    if cmd == "start_ota":
        version = params.fw_version
        return [
            (
                DeviceCommandSpec(cmd=cmd, params={"fw_version": version}),
                f"the device reports OTA success and then firmware {version}",
                {
                    "all": [
                        {"measure": "ota_state", "op": "==", "value": "success"},
                        {"measure": "firmware_version", "op": "==", "value": version},
                    ]
                },
                f"command start_ota to firmware {version}",
            )
        ]
    return [
        (
            DeviceCommandSpec(cmd=cmd),
            f"the device acks {cmd} as accepted",
            {"measure": "command_result", "op": "==", "value": "accepted"},
            f"command {cmd}",
        )
    ]


def _state(params: StateParams) -> list[Part]:
    enabled = params.enabled
    word = "enabled" if enabled else "disabled"
    return [
        (
            DeviceStateSpec(enabled=enabled),
            f"the device is recorded as {word}",
            {"measure": "device_enabled", "op": "==", "value": enabled},
            word,
        )
    ]


def _sampling(params: SamplingParams) -> list[Part]:
    if isinstance(params, SamplingRateParams):
        return _device_config(SAMPLE_RATE_KEY, params.sampling_rate_hz)
    return _device_config("sampling_cadence_ms", params.sampling_cadence_ms)


def _setting(params: DeviceSettingParams) -> list[Part]:
    if isinstance(params, ScaledSettingParams):  # not grounded in the device's declaration
        return []
    return _device_config(params.key, params.value)


def _allow(params: AllowParams) -> list[Part]:
    return _firewall("allow_only", [d.model_dump() for d in params.destinations])


BUILDERS: dict[str, Callable[[Any], list[Part]]] = {
    "bandwidth_limit": _limit,
    "bandwidth_guarantee": _guarantee,
    "priority": _priority,
    "low_latency": _latency,
    "impair": _impair,
    "mqtt_qos": lambda p: _device_config("mqtt_qos", p.level),
    "report_interval": lambda p: _device_config("send_interval_s", p.send_interval_s),
    "sampling": _sampling,
    "power_saving": lambda p: _device_config("power_saving", p.enabled),
    "device_setting": _setting,
    "device_command": _command,
    "device_state": _state,
    "block": lambda p: _firewall(_BLOCK_ACTION[p.scope], []),
    "allow_only": _allow,
    "unblock": lambda p: _firewall("unblock", []),
}
"""Intent kind → its policy parts, from the intent's params (``revoke`` has none)."""
