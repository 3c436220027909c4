"""Faults the simulator can inject, and the broken payloads it sends when asked to.

Every fault is decided per telemetry send by the device's own ``random.Random``, so a run
with the same seed injects the same faults in the same places.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable

GAPS = "gaps"
DUPLICATES = "duplicates"
REBOOTS = "reboots"
SILENCE = "silence"
MALFORMED = "malformed"
WRONG_IDS = "wrong_ids"

FAULTS: tuple[str, ...] = (GAPS, DUPLICATES, REBOOTS, SILENCE, MALFORMED, WRONG_IDS)
"""Every fault name, in the order they are described."""

FAULT_HELP = {
    GAPS: "skip 1-5 sequence numbers before a telemetry message",
    DUPLICATES: "publish a telemetry message twice (same payload, same seq)",
    REBOOTS: "lose power abruptly (the last will fires), then boot again with seq 0",
    SILENCE: "stop sending for 2.5-4 times the liveness period, then resume",
    MALFORMED: "also send a broken payload: invalid JSON or UTF-8, wrong types, "
    "a missing field, a non-finite number, more than 200 measurements",
    WRONG_IDS: "also send a valid telemetry message whose device_id is not the topic's",
}

BASE_PROBABILITY = {
    GAPS: 0.05,
    DUPLICATES: 0.05,
    MALFORMED: 0.03,
    WRONG_IDS: 0.03,
    REBOOTS: 0.01,
    SILENCE: 0.01,
}
"""Chance per telemetry send (per data send for flat sensors) at ``fault_rate=1``."""

MAX_GAP = 5

MALFORMED_VARIANTS = (
    "not_json",
    "not_utf8",
    "wrong_type",
    "missing_field",
    "non_finite",
    "too_many_measurements",
)


def parse_faults(text: str | Iterable[str]) -> frozenset[str]:
    """``"gaps,duplicates"`` → ``{"gaps", "duplicates"}``; ``"all"`` for every fault.

    Names may use ``-`` for ``_`` (``wrong-ids``). Raises ``ValueError`` naming the unknown
    ones and listing the known ones.
    """
    parts = text.split(",") if isinstance(text, str) else list(text)
    names = {part.strip().lower().replace("-", "_") for part in parts} - {""}
    if "all" in names:
        return frozenset(FAULTS)
    unknown = sorted(names - set(FAULTS))
    if unknown:
        raise ValueError(
            f"unknown fault{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
            f"choose from {', '.join(FAULTS)} or all"
        )
    return frozenset(names)


class FaultDice:
    """Decides, from one device's random stream, which faults hit the next send."""

    def __init__(self, rng: random.Random, faults: frozenset[str], rate: float) -> None:
        self._rng = rng
        self._chance = {
            name: min(1.0, BASE_PROBABILITY[name] * rate) for name in faults if rate > 0
        }

    def hits(self, name: str) -> bool:
        chance = self._chance.get(name)
        return chance is not None and self._rng.random() < chance

    def gap(self) -> int:
        """How many sequence numbers to skip (1 … MAX_GAP)."""
        return self._rng.randint(1, MAX_GAP)

    def silence_factor(self) -> float:
        return self._rng.uniform(2.5, 4.0)

    def choice(self, options: tuple[str, ...]) -> str:
        return self._rng.choice(options)


def malformed_payload(variant: str, valid: bytes) -> bytes:
    """A broken copy of the valid v2 payload ``valid``, broken the way ``variant`` says."""
    if variant == "not_json":
        return valid[: max(1, len(valid) // 2)]
    if variant == "not_utf8":
        return b'{"v": 2, "device_id": "\xff\xfe"}'
    envelope = json.loads(valid)
    if variant == "wrong_type":
        envelope["seq"] = str(envelope.get("seq", 0))
    elif variant == "missing_field":
        envelope.pop("ts", None)
    elif variant == "non_finite":
        measurements = envelope.get("measurements") or [{"type": "temperature", "unit": "Cel"}]
        measurements[0] = {**measurements[0], "val": float("nan")}
        envelope["measurements"] = measurements
        return json.dumps(envelope, allow_nan=True).encode()
    elif variant == "too_many_measurements":
        sample = (envelope.get("measurements") or [{"type": "temperature", "val": 20.0}])[0]
        envelope["measurements"] = [sample] * 201
    else:
        raise ValueError(f"unknown malformed variant {variant!r}")
    return json.dumps(envelope).encode()


def flat_malformed_payload(variant: str, valid: bytes) -> bytes:
    """Broken flat JSON: cut short or not UTF-8 (flat JSON has no envelope to break)."""
    if variant == "not_utf8":
        return b'{"temperature": 21.5, "note": "\xff\xfe"}'
    return valid[: max(1, len(valid) // 2)]


def renamed(valid: bytes, device_id: str) -> bytes:
    """The valid v2 payload with its ``device_id`` replaced (an identity mismatch)."""
    envelope = json.loads(valid)
    envelope["device_id"] = device_id
    return json.dumps(envelope).encode()
