"""Resolved intents → policies, conflicts, warnings and notes (INTENTS.md step 3). Pure.

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

from collections.abc import Sequence
from typing import Any

from core.intents.model import Intent
from core.intents.policy import (
    CompileInput,
    CompileResult,
    Conflict,
    Policy,
    PolicyKind,
    TargetDevice,
)
from core.intents.units import format_number, format_rate

DEFAULT_PRIO = 4
BURST_MS = 10
MIN_BURST_BYTES = 1600
CADENCE_TOLERANCE_PCT = 10
LEAF = "fq_codel"

NETWORK_KINDS = frozenset(
    {
        "bandwidth_limit",
        "bandwidth_guarantee",
        "priority",
        "low_latency",
        "impair",
        "block",
        "allow_only",
        "unblock",
    }
)
_WORD = {"down": "download", "up": "upload"}
_DIRECTIONS = {"both": ("down", "up"), "down": ("down",), "up": ("up",)}
_CADENCE = {
    "send_interval_s": ("report_interval_s", "s"),
    "sampling_cadence_ms": ("sample_interval_ms", "ms"),
}
_BLOCK_ACTION = {"all": "block", "internet": "internet_block", "quarantine": "quarantine"}

Part = tuple[PolicyKind, dict[str, Any], str, dict[str, Any], str]
"""kind, spec, satisfied, check, summary (after the target's name)."""


def htb_prio(level: int) -> int:
    """Priority level 1 to 10 → HTB prio 7 to 0."""
    return round((10 - level) * 7 / 9)


def burst_bytes(rate_bps: int) -> int:
    return max(rate_bps * BURST_MS // 8000, MIN_BURST_BYTES)


def compile_intents(
    new: Sequence[CompileInput], active: Sequence[CompileInput] = ()
) -> CompileResult:
    """Compile ``new`` for applying and ``active`` for conflict detection only."""
    warnings: list[str] = []
    notes: list[str] = []
    unnamed = sum(1 for item in new if item.intent_id is None)
    new_policies = [_compile_one(item, unnamed, warnings, notes) for item in new]
    active_policies = [_compile_one(item, 0, [], []) for item in active]
    conflicts = _conflicts(new, new_policies, active, active_policies, unnamed, notes, warnings)
    policies = sorted((p for group in new_policies for p in group), key=_order)
    return CompileResult(policies=policies, conflicts=conflicts, warnings=warnings, notes=notes)


def _order(policy: Policy) -> tuple[Any, ...]:
    direction = {"down": 0, "up": 1}.get(policy.spec.get("direction", ""), 0)
    who = policy.device_id if policy.device_id is not None else (policy.address or "")
    bare = policy.device_id is None
    return (policy.index, policy.intent_id or -1, bare, who, direction)


def _compile_one(
    item: CompileInput, unnamed: int, warnings: list[str], notes: list[str]
) -> list[Policy]:
    intent = item.intent
    label = label_of(item, unnamed)
    if intent.kind == "revoke":
        notes.append(f"{label}: {intent.explanation}; the revoke is carried out on submit.")
        return []
    network = intent.kind in NETWORK_KINDS
    targets: list[tuple[str | None, str | None, str]] = []
    for device in sorted(item.devices, key=lambda d: d.id):
        targets.append((device.id, device.ip, _who(device, network)))
        if network and device.ip is None:
            warnings.append(
                f"{device.id} has no known IP address: {label} waits for one before it applies."
            )
    for address in sorted(item.addresses):
        if network:
            targets.append((None, address, address))
        else:
            warnings.append(
                f"{address} is not a registered device: {label} applies to registered devices "
                "only, so it is ignored."
            )
    if not targets:
        warnings.append(f"{label}: no target matched, so there is nothing to apply.")
        return []
    params = intent.params
    if intent.kind == "device_command" and params.get("command") == "start_ota":
        notes.append(
            f"{label}: start_ota carries only fw_version {params.get('fw_version')}; fw_url, "
            "fw_sha256 and fw_size_bytes must be added from the firmware source before sending."
        )
    policies = []
    for device_id, address, who in targets:
        for kind, spec, satisfied, check, summary in _BUILDERS[intent.kind](params):
            policies.append(
                Policy(
                    kind=kind,
                    intent_id=item.intent_id,
                    index=item.index,
                    device_id=device_id,
                    address=address,
                    spec=spec,
                    satisfied=satisfied,
                    check=check,
                    summary=f"{who}: {summary}",
                )
            )
    return policies


def _who(device: TargetDevice, network: bool) -> str:
    if not network:
        return device.id
    return f"{device.id} ({device.ip or 'no known IP'})"


def _shape(direction: str, rate: int | None, ceil: int | None, prio: int) -> dict[str, Any]:
    return {
        "direction": direction,
        "rate_bps": rate,
        "ceil_bps": ceil,
        "prio": prio,
        "burst_bytes": None if rate is None else burst_bytes(rate),
        "leaf": LEAF,
    }


def _config(rate: int | None, ceil: int | None, prio: int) -> dict[str, Any]:
    return {
        "measure": "class_config",
        "op": "==",
        "value": {"rate_bps": rate, "ceil_bps": ceil, "prio": prio},
    }


def _limit(params: dict[str, Any]) -> list[Part]:
    rate = params["rate_bps"]
    return [
        (
            PolicyKind.SHAPE,
            _shape(d, rate, rate, DEFAULT_PRIO),
            f"the {_WORD[d]} rate of the device's class stays at or below {format_rate(rate)}",
            {"measure": "class_rate_bps", "op": "<=", "value": rate},
            f"{_WORD[d]} limited to {format_rate(rate)} (HTB class, {LEAF} leaf)",
        )
        for d in _DIRECTIONS[params.get("direction", "both")]
    ]


def _guarantee(params: dict[str, Any]) -> list[Part]:
    rate = params["rate_bps"]
    return [
        (
            PolicyKind.SHAPE,
            _shape(d, rate, None, DEFAULT_PRIO),
            f"the kernel holds a {_WORD[d]} class guaranteeing {format_rate(rate)} that may "
            "borrow up to the link",
            _config(rate, None, DEFAULT_PRIO),
            f"{_WORD[d]} guaranteed {format_rate(rate)}, may borrow up to the link "
            f"(HTB class, {LEAF} leaf)",
        )
        for d in ("down", "up")
    ]


def _priority(params: dict[str, Any]) -> list[Part]:
    level = params["level"]
    prio = htb_prio(level)
    return [
        (
            PolicyKind.SHAPE,
            _shape(d, None, None, prio),
            f"the kernel holds a {_WORD[d]} class with HTB prio {prio}",
            _config(None, None, prio),
            f"{_WORD[d]} at HTB prio {prio} (priority {level} of 10; HTB class, {LEAF} leaf)",
        )
        for d in ("down", "up")
    ]


def _latency(params: dict[str, Any]) -> list[Part]:
    target = params.get("target_ms")
    check = _config(None, None, 0)
    satisfied = "HTB prio 0 with an fq_codel leaf"
    summary = f"at HTB prio 0 with an {LEAF} leaf for low latency"
    if target is not None:
        check = {"all": [check, {"measure": "rtt_ms", "op": "<=", "value": target}]}
        satisfied += f", and probes see a round trip under {format_number(target)} ms"
        summary += f", target under {format_number(target)} ms"
    return [
        (
            PolicyKind.SHAPE,
            _shape(d, None, None, 0),
            f"the kernel holds a {_WORD[d]} class at {satisfied}",
            check,
            f"{_WORD[d]} {summary}",
        )
        for d in ("down", "up")
    ]


def _impair(params: dict[str, Any]) -> list[Part]:
    netem = {
        "delay_ms": params.get("delay_ms") or 0,
        "jitter_ms": params.get("jitter_ms") or 0,
        "loss_pct": float(params.get("loss_pct") or 0),
    }
    words = [
        f"{format_number(netem['delay_ms'])} ms delay" if netem["delay_ms"] else "",
        f"{format_number(netem['jitter_ms'])} ms jitter" if netem["jitter_ms"] else "",
        f"{format_number(netem['loss_pct'])}% loss" if netem["loss_pct"] else "",
    ]
    what = ", ".join(word for word in words if word) or "nothing"
    return [
        (
            PolicyKind.IMPAIR,
            {"direction": "down", **netem},
            f"a netem leaf on traffic to the device adds {what}",
            {"measure": "netem", "op": "==", "value": netem},
            f"netem adds {what} to download traffic",
        )
    ]


def destination_text(dest: dict[str, Any]) -> str:
    text = str(dest.get("ip") or dest.get("cidr") or "any address")
    if dest.get("port") is not None:
        text += f" port {dest['port']}"
    if dest.get("proto"):
        text += f" ({dest['proto']})"
    return text


def _firewall(action: str, destinations: list[dict[str, Any]]) -> list[Part]:
    places = ", ".join(destination_text(d) for d in destinations)
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
            PolicyKind.FIREWALL,
            {"action": action, "destinations": destinations},
            satisfied,
            {
                "measure": "firewall_action",
                "op": "==",
                "value": None if action == "unblock" else action,
            },
            f"{summary} (nftables)",
        )
    ]


def value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


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
            PolicyKind.DEVICE_CONFIG,
            {"params": params},
            satisfied,
            check,
            f"update_config {key}={value_text(value)}",
        )
    ]


def _command(params: dict[str, Any]) -> list[Part]:
    cmd = params["command"]
    if cmd == "start_ota":
        version = params.get("fw_version")
        return [
            (
                PolicyKind.DEVICE_COMMAND,
                {"cmd": cmd, "params": {"fw_version": version}},
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
            PolicyKind.DEVICE_COMMAND,
            {"cmd": cmd, "params": {}},
            f"the device acks {cmd} as accepted",
            {"measure": "command_result", "op": "==", "value": "accepted"},
            f"command {cmd}",
        )
    ]


def _state(params: dict[str, Any]) -> list[Part]:
    enabled = bool(params["enabled"])
    word = "enabled" if enabled else "disabled"
    return [
        (
            PolicyKind.DEVICE_STATE,
            {"enabled": enabled},
            f"the device is recorded as {word}",
            {"measure": "device_enabled", "op": "==", "value": enabled},
            word,
        )
    ]


_BUILDERS: dict[str, Any] = {
    "bandwidth_limit": _limit,
    "bandwidth_guarantee": _guarantee,
    "priority": _priority,
    "low_latency": _latency,
    "impair": _impair,
    "mqtt_qos": lambda p: _device_config("mqtt_qos", p["level"]),
    "report_interval": lambda p: _device_config("send_interval_s", p["send_interval_s"]),
    "sampling": lambda p: _device_config("sampling_cadence_ms", p["sampling_cadence_ms"]),
    "power_saving": lambda p: _device_config("power_saving", p["enabled"]),
    "device_setting": lambda p: _device_config(p["key"], p["value"]),
    "device_command": _command,
    "device_state": _state,
    "block": lambda p: _firewall(_BLOCK_ACTION[p.get("scope", "all")], []),
    "allow_only": lambda p: _firewall("allow_only", list(p.get("destinations", []))),
    "unblock": lambda p: _firewall("unblock", []),
}


# Conflicts (INTENTS.md "Resolution, conflicts"): two different limits (or guarantees) on one
# target and direction; a block and a priority, guarantee or low latency on one target; one
# device setting given two values; a device both enabled and disabled. Checked among the new
# intents and between new and active ones; an active intent a new one replaces is left out.
# Intents whose schedules never overlap do not conflict.

_BLOCK_WORDS = {
    "block": "blocked",
    "internet_block": "cut off from the internet",
    "quarantine": "quarantined",
    "allow_only": "restricted to its allowed destinations",
}
_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = 1440

Claim = tuple[str, str, Any]
"""rule, sub-key (direction or setting key), value."""


def label_of(item: CompileInput, unnamed: int) -> str:
    """ "intent 4", "new" (the one intent of the planned sentence) or "new, part 2"."""
    if item.intent_id is not None:
        return f"intent {item.intent_id}"
    return "new" if unnamed <= 1 else f"new, part {item.index + 1}"


def _claims(intent: Intent, policy: Policy) -> list[Claim]:
    spec, kind, params = policy.spec, intent.kind, intent.params
    if kind == "bandwidth_limit":
        return [("limit", spec["direction"], spec["rate_bps"])]
    if kind == "bandwidth_guarantee":
        return [
            ("guarantee", spec["direction"], spec["rate_bps"]),
            ("favour", "", f"guaranteed {format_rate(spec['rate_bps'])}"),
        ]
    if kind == "priority":
        return [("favour", "", f"given priority {params['level']}")]
    if kind == "low_latency":
        return [("favour", "", "given low latency")]
    if kind in ("block", "allow_only"):
        return [("block", "", _BLOCK_WORDS[spec["action"]])]
    if policy.kind is PolicyKind.DEVICE_CONFIG:
        return [("config", key, value) for key, value in spec["params"].items()]
    if policy.kind is PolicyKind.DEVICE_STATE:
        return [("state", "", spec["enabled"])]
    return []


def _clash(a: Claim, b: Claim) -> str | None:
    if a[0] == b[0] and a[0] in ("limit", "guarantee", "config", "state"):
        same = a[1] == b[1] and type(a[2]) is type(b[2]) and a[2] == b[2]
        return None if a[1] != b[1] or same else a[0]
    if {a[0], b[0]} == {"favour", "block"}:
        return "block"
    return None


def _windows(intent: Intent) -> list[tuple[int, int]] | None:
    """Minutes of the week the intent holds; None when always or not known (overlaps all)."""
    schedule = intent.schedule
    if schedule is None or (schedule.start is None) != (schedule.end is None):
        return None
    spans = []
    for day in schedule.days:
        base = _WEEK.index(day) * _DAY
        if schedule.start is None or schedule.end is None:
            spans.append((base, base + _DAY))
            continue
        start, end = (_minutes(t) for t in (schedule.start, schedule.end))
        end += _DAY if end <= start else 0
        spans.append((base + start, base + end))
    week = 7 * _DAY
    return [
        part for s, e in spans for part in ([(s, e)] if e <= week else [(s, week), (0, e - week)])
    ]


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _overlap(a: Intent, b: Intent) -> bool:
    wa, wb = _windows(a), _windows(b)
    if wa is None or wb is None:
        return True
    return any(s1 < e2 and s2 < e1 for s1, e1 in wa for s2, e2 in wb)


def _conflicts(
    new: Sequence[CompileInput],
    new_policies: list[list[Policy]],
    active: Sequence[CompileInput],
    active_policies: list[list[Policy]],
    unnamed: int,
    notes: list[str],
    warnings: list[str],
) -> list[Conflict]:
    active_ids = {item.intent_id for item in active}
    replaced: set[int] = set()
    for item in new:
        for old in item.replaces:
            replaced.add(old)
            if old in active_ids:
                notes.append(f"{label_of(item, unnamed)} replaces intent {old}.")
            else:
                warnings.append(
                    f"{label_of(item, unnamed)} is marked to replace intent {old}, "
                    "which is not active."
                )
    sources = [(0, pos, item) for pos, item in enumerate(new)] + [
        (1, pos, item) for pos, item in enumerate(active) if item.intent_id not in replaced
    ]
    entries = []
    buckets: dict[tuple[str, str], list[int]] = {}
    for side, pos, item in sources:
        for policy in (new_policies if side == 0 else active_policies)[pos]:
            claims = _claims(item.intent, policy)
            if not claims:
                continue
            for key in (("d", policy.device_id), ("a", policy.address)):
                if key[1] is not None:
                    buckets.setdefault((key[0], key[1]), []).append(len(entries))
            entries.append((side, pos, item, policy, claims))
    groups: dict[tuple[Any, ...], list[tuple[Any, Any, str]]] = {}
    for members in buckets.values():
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                _pair(entries[first], entries[second], groups)
    conflicts = []
    for key in sorted(groups, key=lambda k: k[:6]):
        a_item = (new if key[0] == 0 else active)[key[1]]
        b_item = (new if key[2] == 0 else active)[key[3]]
        conflicts.append(
            Conflict(
                device_id=key[6],
                address=key[7],
                intents=[(a_item.intent_id, a_item.index), (b_item.intent_id, b_item.index)],
                message=_message(
                    key[4],
                    key[5],
                    groups[key],
                    label_of(a_item, unnamed),
                    label_of(b_item, unnamed),
                ),
            )
        )
    return conflicts


def _pair(one: tuple[Any, ...], two: tuple[Any, ...], groups: dict[tuple[Any, ...], Any]) -> None:
    if (one[0] == 1 and two[0] == 1) or one[:2] == two[:2]:
        return
    if (one[0], one[1]) > (two[0], two[1]):
        one, two = two, one
    a, b = one[3], two[3]
    if a.device_id is not None and b.device_id is not None and a.device_id != b.device_id:
        return
    if not _overlap(one[2].intent, two[2].intent):
        return
    who = a.device_id if a.device_id is not None else a.address
    for claim_a in one[4]:
        for claim_b in two[4]:
            rule = _clash(claim_a, claim_b)
            if rule is None:
                continue
            sub = claim_a[1] if rule == "config" else ""
            name = f"config {sub}" if sub else rule
            key = (
                one[0],
                one[1],
                two[0],
                two[1],
                who,
                name,
                a.device_id,
                a.address,
            )
            found = groups.setdefault(key, [])
            entry = (claim_a[2], claim_b[2], claim_a[1])
            if entry not in found:
                found.append(entry)


def _message(who: str, rule: str, found: list[tuple[Any, Any, str]], la: str, lb: str) -> str:
    va, vb, sub = found[0]
    if rule in ("limit", "guarantee"):
        directions = {entry[2] for entry in found}
        which = "" if len(directions) > 1 else f"{_WORD[sub]} "
        return (
            f"{who} would get two different {which}{rule}s: "
            f"{format_rate(va)} ({la}) and {format_rate(vb)} ({lb})"
        )
    if rule.startswith("config"):
        return (
            f"{who} would get two different values for {sub}: "
            f"{value_text(va)} ({la}) and {value_text(vb)} ({lb})"
        )
    if rule == "state":
        words = {True: "enabled", False: "disabled"}
        return f"{who} would be both {words[va]} ({la}) and {words[vb]} ({lb})"
    return f"{who} cannot be both {va} ({la}) and {vb} ({lb})"
