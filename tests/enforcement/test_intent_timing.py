"""When a scheduled intent holds: windows on the listed days, windows crossing midnight
belonging to the day they start on, open starts and ends, and ``next_change`` being the
next moment the answer can change."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enforcement.intent_timing import DAYS, describe, in_window, next_change

US = timedelta(microseconds=1)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def at(day: int, hour: int, minute: int = 0, tz: timezone | ZoneInfo = UTC) -> datetime:
    """A moment in February 2026 (the 13th is a Friday)."""
    return datetime(2026, 2, day, hour, minute, tzinfo=tz)


def test_no_schedule_always_holds_and_never_changes() -> None:
    for moment in (at(13, 0), at(14, 23, 59), datetime(2030, 7, 1, tzinfo=UTC)):
        assert in_window(None, moment)
        assert next_change(None, moment) is None


FRIDAY_NIGHT = {"start": "22:00", "end": "07:00", "days": ["fri"]}


@pytest.mark.parametrize(
    ("moment", "holds"),
    [
        (at(13, 6, 0), False),  # Friday morning: Thursday is not listed
        (at(13, 21, 59), False),
        (at(13, 22, 0), True),
        (at(14, 0, 0), True),  # past midnight, still Friday's window
        (at(14, 6, 59), True),
        (at(14, 7, 0), False),
        (at(14, 22, 0), False),  # Saturday evening is not a window
        (at(15, 3, 0), False),
        (at(20, 23, 0), True),  # next Friday
    ],
)
def test_a_window_crossing_midnight_belongs_to_the_day_it_starts_on(
    moment: datetime, holds: bool
) -> None:
    assert in_window(FRIDAY_NIGHT, moment) is holds


def test_next_change_of_a_window_crossing_midnight() -> None:
    assert next_change(FRIDAY_NIGHT, at(13, 12)) == at(13, 22)
    assert next_change(FRIDAY_NIGHT, at(13, 22)) == at(14, 7)  # the edge itself is past
    assert next_change(FRIDAY_NIGHT, at(13, 23)) == at(14, 7)
    assert next_change(FRIDAY_NIGHT, at(14, 7)) == at(20, 22)  # a week on


UNTIL_SIX = {"start": None, "end": "18:00", "days": WEEKDAYS}


def test_an_open_start_is_midnight() -> None:
    assert in_window(UNTIL_SIX, at(12, 0, 0))
    assert in_window(UNTIL_SIX, at(12, 17, 59))
    assert not in_window(UNTIL_SIX, at(12, 18, 0))
    assert not in_window(UNTIL_SIX, at(14, 10, 0))  # Saturday
    assert next_change(UNTIL_SIX, at(12, 9)) == at(12, 18)
    assert next_change(UNTIL_SIX, at(13, 18, 30)) == at(16, 0)  # Friday evening → Monday


WEEKENDS = {"start": None, "end": None, "days": ["sat", "sun"]}


def test_no_times_is_the_whole_day_on_the_listed_days() -> None:
    assert not in_window(WEEKENDS, at(13, 23, 59))
    assert in_window(WEEKENDS, at(14, 0, 0))
    assert in_window(WEEKENDS, at(15, 23, 59))
    assert not in_window(WEEKENDS, at(16, 0, 0))
    assert next_change(WEEKENDS, at(13, 9)) == at(14, 0)
    # Saturday's window ends at midnight where Sunday's begins: an edge with no change.
    assert next_change(WEEKENDS, at(14, 9)) == at(15, 0)
    assert in_window(WEEKENDS, at(15, 0))
    assert next_change(WEEKENDS, at(15, 0)) == at(16, 0)


def test_the_answer_is_for_the_wall_clock_of_the_zone_given() -> None:
    new_york = ZoneInfo("America/New_York")
    friday_evening = at(13, 20, tz=new_york)  # Saturday 01:00 in UTC
    assert not in_window(FRIDAY_NIGHT, friday_evening)
    assert in_window(FRIDAY_NIGHT, friday_evening.astimezone(UTC))
    edge = next_change(FRIDAY_NIGHT, friday_evening)
    assert edge == at(13, 22, tz=new_york)
    assert edge is not None and edge.tzinfo is new_york


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        (FRIDAY_NIGHT, "22:00 to 07:00 fri"),
        (UNTIL_SIX, "00:00 to 18:00 mon, tue, wed, thu, fri"),
        (WEEKENDS, "00:00 to 24:00 sat, sun"),
        ({"start": "08:30", "end": None, "days": list(DAYS)}, "08:30 to 24:00 every day"),
    ],
)
def test_describe(schedule: dict, words: str) -> None:
    assert describe(schedule) == words


# ------------------------------------------------------------------ properties

_CLOCKS = st.builds(
    lambda h, m: f"{h:02d}:{m:02d}",
    st.integers(0, 23),
    st.sampled_from([0, 0, 1, 30, 59]),  # on the hour often, so windows meet and coincide
)
_SCHEDULES = st.fixed_dictionaries(
    {
        "start": st.none() | _CLOCKS,
        "end": st.none() | _CLOCKS,
        "days": st.lists(st.sampled_from(DAYS), min_size=1, unique=True).map(
            lambda days: [d for d in DAYS if d in days]
        ),
    }
)
_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5.5))])
_ANY_MOMENT = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=_ZONES
)
_ON_THE_MINUTE = st.builds(
    lambda d, h, m, tz: datetime.combine(d, time(h, m), tzinfo=tz),
    st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    st.integers(0, 23),
    st.sampled_from([0, 1, 30, 59]),
    _ZONES,
)
_MOMENTS = _ANY_MOMENT | _ON_THE_MINUTE


def _clock(text: str | None) -> time:
    return time(0, 0) if text is None else time.fromisoformat(text)


def _reference(schedule: dict, now: datetime) -> bool:
    """in_window written independently: a window is at most a day long, so only the
    windows opening today and yesterday can hold ``now``."""
    start, end = _clock(schedule["start"]), schedule["end"]
    for day in (now.date(), now.date() - timedelta(days=1)):
        if DAYS[day.weekday()] not in schedule["days"]:
            continue
        opens = datetime.combine(day, start, tzinfo=now.tzinfo)
        closes = datetime.combine(day, _clock(end), tzinfo=now.tzinfo)
        if end is None or closes <= opens:
            closes += timedelta(days=1)
        if opens <= now < closes:
            return True
    return False


@settings(max_examples=400, deadline=None)
@given(schedule=_SCHEDULES, now=_MOMENTS)
def test_in_window_agrees_with_a_reference(schedule: dict, now: datetime) -> None:
    assert in_window(schedule, now) is _reference(schedule, now)


@settings(max_examples=400, deadline=None)
@given(schedule=_SCHEDULES, now=_MOMENTS, fraction=st.floats(0, 1, exclude_max=True))
def test_the_answer_holds_until_next_change(schedule: dict, now: datetime, fraction: float) -> None:
    edge = next_change(schedule, now)
    assert edge is not None  # every schedule opens on some day of the week
    assert now < edge <= now + timedelta(days=7)
    holds = in_window(schedule, now)
    inside = now + (edge - now) * fraction
    assert in_window(schedule, min(inside, edge - US)) is holds
    assert in_window(schedule, edge - US) is holds


@settings(max_examples=400, deadline=None)
@given(schedule=_SCHEDULES, now=_MOMENTS)
def test_the_answer_flips_at_next_change_unless_windows_meet_there(
    schedule: dict, now: datetime
) -> None:
    edge = next_change(schedule, now)
    assert edge is not None
    if in_window(schedule, edge) is not in_window(schedule, now):
        return
    # No flip: one window closes exactly where the next opens. That can only be from
    # inside, at the time of day where the schedule both starts and ends, on a listed day.
    assert in_window(schedule, now)
    assert _clock(schedule["start"]) == _clock(schedule["end"]) == edge.time()
    assert DAYS[edge.weekday()] in schedule["days"]
