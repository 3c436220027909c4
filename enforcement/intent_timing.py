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

from core.intents import Schedule
from core.intents.schedule import DAYS

_LOOK_BACK_DAYS = 1
_LOOK_AHEAD_DAYS = 8


def _clock(text: str | None) -> time | None:
    if text is None:
        return None
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


ScheduleLike = Schedule | Mapping[str, Any]
"""A parsed intent's ``Schedule``, or its JSON."""


def _fields(schedule: ScheduleLike) -> tuple[str | None, str | None, list[str]]:
    if isinstance(schedule, Schedule):
        return schedule.start, schedule.end, schedule.days
    return schedule.get("start"), schedule.get("end"), schedule.get("days") or []


def _windows(schedule: ScheduleLike, now: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The schedule's windows from yesterday to a week ahead, in order."""
    start_at, end_at, listed = _fields(schedule)
    start = _clock(start_at) or time(0, 0)
    end = _clock(end_at)
    days = set(listed or DAYS)
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


def in_window(schedule: ScheduleLike | None, now: datetime) -> bool:
    """Whether an intent with ``schedule`` holds at ``now`` (None: always)."""
    if schedule is None:
        return True
    return any(opens <= now < closes for opens, closes in _windows(schedule, now))


def next_change(schedule: ScheduleLike | None, now: datetime) -> datetime | None:
    """The next time after ``now`` the schedule opens or closes (None: it never does)."""
    if schedule is None:
        return None
    edges = [edge for window in _windows(schedule, now) for edge in window if edge > now]
    return min(edges, default=None)


def describe(schedule: ScheduleLike) -> str:
    """The schedule in words, for a waiting policy's reason."""
    start_at, end_at, listed = _fields(schedule)
    start, end = start_at or "00:00", end_at or "24:00"
    days = listed or list(DAYS)
    on = "every day" if len(days) == len(DAYS) else ", ".join(days)
    return f"{start} to {end} {on}"
