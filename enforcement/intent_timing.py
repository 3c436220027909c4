"""When a scheduled intent holds. Pure: the caller gives the time in the schedule's zone.

A schedule (INTENTS.md) is a daily window ``start`` to ``end`` on some ``days``. A window whose
end is not after its start crosses midnight and belongs to the day it starts on ("22:00 to
07:00 on weekdays" holds from Friday 22:00 to Saturday 07:00, not from Saturday 22:00).
A missing start means midnight ("until 18:00"), a missing end the next midnight; both
missing ("on weekdays") is the whole day.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, time, timedelta
from typing import Any

from core.intents.schedule import DAYS

_LOOK_BACK_DAYS = 1
_LOOK_AHEAD_DAYS = 8


def _clock(text: str | None) -> time | None:
    if text is None:
        return None
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _windows(schedule: Mapping[str, Any], now: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The schedule's windows from yesterday to a week ahead, in order."""
    start = _clock(schedule.get("start")) or time(0, 0)
    end = _clock(schedule.get("end"))
    days = set(schedule.get("days") or DAYS)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for offset in range(-_LOOK_BACK_DAYS, _LOOK_AHEAD_DAYS):
        day = today + timedelta(days=offset)
        if DAYS[day.weekday()] not in days:
            continue
        opens = day.replace(hour=start.hour, minute=start.minute)
        if end is None:
            closes = day + timedelta(days=1)
        else:
            closes = day.replace(hour=end.hour, minute=end.minute)
            if closes <= opens:
                closes += timedelta(days=1)
        yield opens, closes


def in_window(schedule: Mapping[str, Any] | None, now: datetime) -> bool:
    """Whether an intent with ``schedule`` holds at ``now`` (None: always)."""
    if schedule is None:
        return True
    return any(opens <= now < closes for opens, closes in _windows(schedule, now))


def next_change(schedule: Mapping[str, Any] | None, now: datetime) -> datetime | None:
    """The next time after ``now`` the schedule opens or closes (None: it never does)."""
    if schedule is None:
        return None
    edges = [edge for window in _windows(schedule, now) for edge in window if edge > now]
    return min(edges, default=None)


def describe(schedule: Mapping[str, Any]) -> str:
    """The schedule in words, for a waiting policy's reason."""
    start, end = schedule.get("start") or "00:00", schedule.get("end") or "24:00"
    days = schedule.get("days") or list(DAYS)
    on = "every day" if len(days) == len(DAYS) else ", ".join(days)
    return f"{start} to {end} {on}"
