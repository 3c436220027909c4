"""Conflicts between intents (INTENTS.md "Resolution, conflicts"). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.intents.model import Intent
from core.intents.params import PriorityParams
from core.intents.policy import (
    CompileInput,
    Conflict,
    DeviceConfigSpec,
    DeviceStateSpec,
    FirewallSpec,
    Policy,
    ShapeSpec,
)
from core.intents.units import format_rate
from core.intents.wording import DIRECTION_WORD as _WORD
from core.intents.wording import value_text

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
    match spec:
        case ShapeSpec() if kind == "bandwidth_limit":
            return [("limit", spec.direction, spec.rate_bps)]
        case ShapeSpec(rate_bps=int(rate)) if kind == "bandwidth_guarantee":
            return [
                ("guarantee", spec.direction, rate),
                ("favour", "", f"guaranteed {format_rate(rate)}"),
            ]
        case ShapeSpec() if isinstance(params, PriorityParams):
            return [("favour", "", f"given priority {params.level}")]
        case ShapeSpec() if kind == "low_latency":
            return [("favour", "", "given low latency")]
        case FirewallSpec() if kind in ("block", "allow_only"):
            return [("block", "", _BLOCK_WORDS[spec.action])]
        case DeviceConfigSpec():
            return [("config", key, value) for key, value in spec.params.items()]
        case DeviceStateSpec():
            return [("state", "", spec.enabled)]
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


def find_conflicts(
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
