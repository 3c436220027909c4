"""One plain sentence per intent that a person can check: what, on which devices, with the
canonical units written out ("Limit the bandwidth of every camera to 400 kbit/s in both
directions"), then when. What each kind says is ``phrasing.PHRASES[kind].explain``."""

from __future__ import annotations

from typing import Any

from core.intents.params import IntentParams
from core.intents.phrasing import PHRASES
from core.intents.schedule import DAYS
from core.intents.targets import describe, join_words
from core.intents.units import format_seconds


def explain(
    kind: str,
    targets: list[dict[str, Any]],
    params: IntentParams,
    schedule: dict[str, Any] | None,
    duration_s: int | None,
) -> str:
    text = PHRASES[kind].explain(describe(targets), params)
    return text + _when(schedule, duration_s)


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
