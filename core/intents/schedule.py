"""Time phrases around a clause: durations ("for 30 minutes") and schedules.

Decisions: a schedule always has the three keys ``start``, ``end`` and ``days``; "until 18:00"
gives ``start: null``; "on weekdays" alone gives a schedule with both times null. Times are
written ``HH:MM`` with a leading zero. Days are listed Monday first whatever order they were
typed in. A duration is a whole number of seconds, at least 1. "every night" / "nightly" /
"daily" / "every day" only decorate a time window or mean all days. Saying the same thing
twice ("for 2 hours for 3 hours") is ``bad_value``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from core.intents.lexer import Token
from core.intents.model import IntentError, Schedule
from core.intents.units import TIME_MS

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_WORDS: dict[str, tuple[str, ...]] = {
    "weekdays": DAYS[:5], "weekday": DAYS[:5], "weekends": DAYS[5:], "weekend": DAYS[5:],
}  # fmt: skip
for _index, _name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
):
    for _word in (_name, _name + "s", _name[:3], _name[:3] + "s"):
        _DAY_WORDS[_word] = (DAYS[_index],)
_DAY_WORDS.update({"tues": ("tue",), "thur": ("thu",), "thurs": ("thu",)})
SCHEDULE_WORDS = frozenset(_DAY_WORDS) | {"night", "nightly", "daily", "day", "evening"}
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})")


@dataclass(frozen=True)
class Timing:
    start: str | None = None
    end: str | None = None
    days: tuple[str, ...] | None = None
    duration_s: int | None = None
    has_window: bool = False

    def schedule(self) -> Schedule | None:
        if not self.has_window and self.days is None:
            return None
        return Schedule(start=self.start, end=self.end, days=list(self.days or DAYS))


def _clock(token: Token | None, pos: int) -> str | None:
    if token is None or token.kind != "time":
        return None
    match = _CLOCK.fullmatch(token.raw)
    assert match is not None
    hours, minutes = int(match[1]), int(match[2])
    if hours > 23 or minutes > 59:
        raise IntentError(
            "bad_value", f"{token.raw} is not a time of day (00:00 to 23:59).", at=pos
        )
    return f"{hours:02d}:{minutes:02d}"


def _one(tokens: list[Token], pos: int) -> tuple[dict[str, Any], int] | None:
    """One time phrase at ``pos`` as the fields it sets, or None."""
    low = [token.low for token in tokens[pos : pos + 5]]
    get = tokens[pos : pos + 5]
    if not low:
        return None
    if low[0] == "for" and len(get) > 2 and get[1].kind == "num" and low[2] in TIME_MS:
        seconds = float(get[1].raw) * TIME_MS[low[2]] / 1000
        if seconds < 1 or not seconds.is_integer():
            raise IntentError(
                "bad_value", "A duration must be a whole number of seconds, at least 1 s.", at=pos
            )
        return {"duration_s": int(seconds)}, pos + 3
    skip = 0
    if low[:2] in (["every", "night"], ["every", "day"], ["every", "evening"]):
        skip = 2
    elif low[0] in ("nightly", "daily"):
        skip = 1
    window = _window(tokens, pos + skip)
    if window is not None:
        return window
    if low[0] == "daily" or low[:2] == ["every", "day"]:
        return {"days": DAYS}, pos + skip
    if low[0] in ("on", "every") or low[0] in _DAY_WORDS:
        return _days(tokens, pos + (low[0] in ("on", "every")))
    return None


def _window(tokens: list[Token], pos: int) -> tuple[dict[str, Any], int] | None:
    get = tokens[pos : pos + 4]
    low = [token.low for token in get]
    if len(get) >= 4 and (low[0], low[2]) in (
        ("between", "and"),
        ("from", "to"),
        ("from", "until"),
        ("from", "till"),
    ):
        start, end = _clock(get[1], pos + 1), _clock(get[3], pos + 3)
        if start is not None and end is not None:
            if start == end:
                raise IntentError(
                    "bad_value", "A time window must not start and end at the same time.", at=pos
                )
            return {"start": start, "end": end}, pos + 4
    if len(get) >= 2 and low[0] in ("until", "till"):
        end = _clock(get[1], pos + 1)
        if end is not None:
            return {"end": end}, pos + 2
    return None


def _days(tokens: list[Token], pos: int) -> tuple[dict[str, Any], int] | None:
    found: set[str] = set()
    end = None
    while pos < len(tokens) and tokens[pos].low in _DAY_WORDS:
        found.update(_DAY_WORDS[tokens[pos].low])
        end = pos = pos + 1
        if pos < len(tokens) and tokens[pos].kind == "comma":
            pos += 1
        if pos < len(tokens) and tokens[pos].low == "and":
            pos += 1
    if end is None:
        return None
    return {"days": tuple(day for day in DAYS if day in found)}, end


def timings(tokens: list[Token], pos: int) -> list[tuple[Timing, int]]:
    """Readings of the time phrases at ``pos``: none, one, two… (fewest first)."""
    readings = [(Timing(), pos)]
    timing = Timing()
    while (phrase := _one(tokens, pos)) is not None:
        fields, pos = phrase
        timing = merge(
            timing, Timing(**fields, has_window="start" in fields or "end" in fields), at=pos
        )
        readings.append((timing, pos))
    return readings


def merge(first: Timing, second: Timing, *, at: int = 0) -> Timing:
    """Both timings together; the same field set twice is ``bad_value``."""
    if (
        (first.has_window and second.has_window)
        or (first.days is not None and second.days is not None)
        or (first.duration_s is not None and second.duration_s is not None)
    ):
        raise IntentError("bad_value", "The time is given twice; say it once.", at=at)
    return Timing(
        start=first.start or second.start,
        end=first.end or second.end,
        days=first.days if first.days is not None else second.days,
        duration_s=first.duration_s if first.duration_s is not None else second.duration_s,
        has_window=first.has_window or second.has_window,
    )


def render_timing(schedule: dict[str, Any] | None, duration_s: int | None) -> str:
    parts: list[str] = []
    if schedule:
        if schedule.get("start"):
            parts.append(f"from {schedule['start']} to {schedule['end']}")
        elif schedule.get("end"):
            parts.append(f"until {schedule['end']}")
        days = schedule.get("days") or list(DAYS)
        if tuple(days) != DAYS:
            parts.append("on " + ", ".join(days))
    if duration_s is not None:
        parts.append(f"for {duration_s} seconds")
    return " ".join(parts)
