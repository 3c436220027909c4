"""Resolved intents → policies, conflicts, warnings and notes (INTENTS.md step 3). Pure.

Each intent kind's policies come from ``policy_builders`` (with the numbers: HTB prio,
burst, directions); this module puts them on the intent's targets, in a stable order, and
finds the conflicts (``conflicts``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.intents.conflicts import find_conflicts, label_of
from core.intents.params import CommandParams
from core.intents.policy import CompileInput, CompileResult, Policy, TargetDevice
from core.intents.policy_builders import BUILDERS

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


def compile_intents(
    new: Sequence[CompileInput], active: Sequence[CompileInput] = ()
) -> CompileResult:
    """Compile ``new`` for applying and ``active`` for conflict detection only."""
    warnings: list[str] = []
    notes: list[str] = []
    unnamed = sum(1 for item in new if item.intent_id is None)
    new_policies = [_compile_one(item, unnamed, warnings, notes) for item in new]
    active_policies = [_compile_one(item, 0, [], []) for item in active]
    conflicts = find_conflicts(new, new_policies, active, active_policies, unnamed, notes, warnings)
    policies = sorted((p for group in new_policies for p in group), key=_order)
    return CompileResult(policies=policies, conflicts=conflicts, warnings=warnings, notes=notes)


def _order(policy: Policy) -> tuple[Any, ...]:
    direction = {"down": 0, "up": 1}.get(getattr(policy.spec, "direction", ""), 0)
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
    if isinstance(params, CommandParams) and params.command == "start_ota":
        notes.append(
            f"{label}: start_ota carries only fw_version {params.fw_version}; fw_url, "
            "fw_sha256 and fw_size_bytes must be added from the firmware source before sending."
        )
    policies = []
    for device_id, address, who in targets:
        for spec, satisfied, check, summary in BUILDERS[intent.kind](params):
            policies.append(
                Policy(
                    kind=spec.kind,
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
