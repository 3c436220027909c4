"""A compiled plan as plain text a person can check (no markup; front ends print it as is).

::

    Targets:
      type camera: camera-1, camera-2
    Plan:
    1. Limit the bandwidth of every camera to 2 Mbit/s in both directions
       camera-1 (10.0.0.21): download limited to 2 Mbit/s (HTB class, fq_codel leaf)
       ...
    CONFLICT: camera-1 would get two different limits: 2 Mbit/s (new) and 5 Mbit/s (intent 4)
    Warning: ...
    Note: ...
    Refused: 1 conflict must be resolved first ...
"""

from __future__ import annotations

from collections.abc import Sequence

from core.intents.model import Intent
from core.intents.policy import CompileResult, Policy

NOTHING = "(nothing to install)"


def render_plan(
    result: CompileResult,
    intents: Sequence[Intent] = (),
    resolutions: Sequence[str] = (),
) -> str:
    """The plan: resolved targets, then per intent its explanation and indented policy
    summaries, then conflicts, warnings, notes and whether it would be refused.

    ``intents`` are the intents of the planned sentence in order (their position is the
    policies' ``index``); without them the intents are headed by number only.
    ``resolutions`` are the resolver's one-line summaries of which devices each selector matched.
    """
    lines: list[str] = []
    if resolutions:
        lines.append("Targets:")
        lines.extend(f"  {line}" for line in resolutions)
    lines.append("Plan:")
    by_index: dict[int, list[Policy]] = {}
    for policy in result.policies:
        by_index.setdefault(policy.index, []).append(policy)
    indexes = range(len(intents)) if intents else sorted(by_index)
    for index in indexes:
        heading = intents[index].explanation if intents else f"Intent {index + 1}"
        lines.append(f"{index + 1}. {heading}")
        policies = by_index.get(index, [])
        lines.extend(f"   {policy.summary}" for policy in policies)
        if not policies:
            lines.append(f"   {NOTHING}")
    if not intents and not by_index:
        lines.append(f"   {NOTHING}")
    lines.extend(f"CONFLICT: {conflict.message}" for conflict in result.conflicts)
    lines.extend(f"Warning: {warning}" for warning in result.warnings)
    lines.extend(f"Note: {note}" for note in result.notes)
    count = len(result.conflicts)
    if count:
        lines.append(
            f"Refused: {count} conflict{'' if count == 1 else 's'} must be resolved first: "
            "revoke one of the intents, or mark the new one to replace the older."
        )
    return "\n".join(lines)
