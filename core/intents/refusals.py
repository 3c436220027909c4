"""What a gateway refuses of planned intents, whatever the registry holds. Pure.

An impairment needs netem in the kernel (``features`` None: unknown, e.g. in a dry run,
which plans as for a full kernel); a device setting cannot be given a schedule or a
duration, because Warden cannot undo it when the time is up.
"""

from __future__ import annotations

from collections.abc import Sequence

from core.intents.compiler import NETWORK_KINDS
from core.intents.model import Intent
from core.ports import KernelFeatures

NO_NETEM = (
    "this kernel has no netem (sch_netem), so delay, jitter and loss cannot be added here; "
    "`warden doctor` lists what the kernel offers"
)
DEVICE_TIMING = (
    "a device setting cannot be given a schedule or a duration: Warden cannot undo it when "
    "the time is up (it does not know the value the device had before)"
)


def refusals(intents: Sequence[Intent], features: KernelFeatures | None) -> list[str]:
    """Why each intent this gateway cannot enforce is refused, labelled by the intent."""
    out = []
    for number, intent in enumerate(intents, start=1):
        label = (
            f"intent {number} ({intent.explanation})" if len(intents) > 1 else intent.explanation
        )
        if intent.kind == "impair" and features is not None and "netem" not in features.qdiscs:
            out.append(f"{label}: {NO_NETEM}")
        timed = intent.schedule is not None or intent.duration_s is not None
        if timed and intent.kind not in NETWORK_KINDS and intent.kind != "revoke":
            out.append(f"{label}: {DEVICE_TIMING}")
    return out
