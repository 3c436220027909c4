"""Maintenance windows, one-off and recurring: which occurrence covers a moment, and the
service that stores, lists, ends and finds the active ones; both backends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from core.errors import InvalidInput
from core.services import changes, maintenance
from tests.factories import FakeClock, actor

T = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # a first occurrence at 02:00
H, D = timedelta(hours=1), timedelta(days=1)


@dataclass(frozen=True)
class Window:
    starts_at: datetime = T
    ends_at: datetime = T + 2 * H
    every: str | None = None
    repeat_until: datetime | None = None
    ended_early_at: datetime | None = None


ONCE = Window()
DAILY = Window(every="day")
WEEKLY = Window(every="week")
OVERNIGHT = Window(starts_at=T + 21 * H, ends_at=T + 23 * H, every="day")  # 23:00 to 01:00
DAILY_TWO_DAYS = Window(every="day", repeat_until=T + 2 * D)
DAILY_ENDED = Window(every="day", ended_early_at=T + D + H)


@pytest.mark.parametrize(
    ("window", "now", "expected"),
    [
        pytest.param(ONCE, T, (T, T + 2 * H), id="once-start-counts"),
        pytest.param(ONCE, T + H, (T, T + 2 * H), id="once-inside"),
        pytest.param(ONCE, T + 2 * H, None, id="once-end-excluded"),
        pytest.param(ONCE, T - timedelta(seconds=1), None, id="once-before"),
        pytest.param(ONCE, T + D + H, None, id="once-does-not-recur"),
        pytest.param(DAILY, T + 2 * D + H / 2, (T + 2 * D, T + 2 * D + 2 * H), id="daily-day3"),
        pytest.param(DAILY, T + 2 * D, (T + 2 * D, T + 2 * D + 2 * H), id="daily-start"),
        pytest.param(DAILY, T + 2 * D + 2 * H, None, id="daily-end-excluded"),
        pytest.param(DAILY, T + 2 * D + 3 * H, None, id="daily-between"),
        pytest.param(DAILY, T - D + H, None, id="daily-before-first"),
        pytest.param(DAILY, T + 400 * D + H, (T + 400 * D, T + 400 * D + 2 * H), id="daily-on"),
        pytest.param(OVERNIGHT, T + 22 * H + H / 2, (T + 21 * H, T + 23 * H), id="overnight-0030"),
        pytest.param(OVERNIGHT, T + D + 21 * H, (T + D + 21 * H, T + D + 23 * H), id="overnight"),
        pytest.param(OVERNIGHT, T + D + H, None, id="overnight-between"),
        pytest.param(WEEKLY, T + 7 * D + H, (T + 7 * D, T + 7 * D + 2 * H), id="weekly-week2"),
        pytest.param(WEEKLY, T + D + H, None, id="weekly-not-daily"),
        pytest.param(WEEKLY, T + 13 * D + H, None, id="weekly-day-before-week3"),
        pytest.param(DAILY_TWO_DAYS, T + D + H, (T + D, T + D + 2 * H), id="until-before"),
        pytest.param(DAILY_TWO_DAYS, T + 2 * D + H, None, id="until-start-at-limit"),
        pytest.param(
            Window(every="day", repeat_until=T + 2 * D + timedelta(minutes=1)),
            T + 2 * D + H,
            (T + 2 * D, T + 2 * D + 2 * H),
            id="until-started-before-limit-runs-on",
        ),
        pytest.param(DAILY_ENDED, T + D + H / 2, (T + D, T + D + H), id="ended-early-clips"),
        pytest.param(DAILY_ENDED, T + D + H, None, id="ended-early-at"),
        pytest.param(DAILY_ENDED, T + 5 * D + H, None, id="ended-early-ends-all"),
    ],
)
def test_occurrence_at(window, now, expected):
    assert maintenance.occurrence_at(window, now) == expected


@pytest.mark.parametrize(
    ("window", "now", "expected"),
    [
        pytest.param(DAILY, T - D, (T, T + 2 * H), id="before-first"),
        pytest.param(DAILY, T + 2 * D + H, (T + 2 * D, T + 2 * D + 2 * H), id="current"),
        pytest.param(DAILY, T + 2 * D + 3 * H, (T + 3 * D, T + 3 * D + 2 * H), id="next-day"),
        pytest.param(WEEKLY, T + 3 * H, (T + 7 * D, T + 7 * D + 2 * H), id="next-week"),
        pytest.param(ONCE, T - H, (T, T + 2 * H), id="once-to-come"),
        pytest.param(ONCE, T + 3 * H, None, id="once-over"),
        pytest.param(DAILY_TWO_DAYS, T + D + 3 * H, None, id="no-start-before-until"),
        pytest.param(DAILY_ENDED, T + D + 3 * H, None, id="ended-early"),
    ],
)
def test_next_occurrence(window, now, expected):
    assert maintenance.next_occurrence(window, now) == expected


def add(session, *, starts_at=T, ends_at=T + 2 * H, **kwargs):
    return maintenance.add_window(
        session=session,
        reason="nightly backup",
        selector={"all": True},
        starts_at=starts_at,
        ends_at=ends_at,
        actor=actor(),
        **kwargs,
    )


def active_ids(session, now):
    return [w.id for w in maintenance.active_windows(session=session, now=now)]


def listed_ids(session, now):
    return [w.id for w in maintenance.list_windows(session=session, now=now).items]


def test_a_daily_window_is_active_in_each_occurrence_only(any_core):
    with any_core.db.writer() as session:
        daily = add(session, every="day")
        once = add(session)
        assert (daily.every, daily.repeat_until) == ("day", None)
        summaries = [c.summary for c in changes.list_changes(session=session)]
    assert f"maintenance {daily.id} every day, first 2026-03-01 02:00" in summaries[0]
    assert "every" not in summaries[1]
    with any_core.db.reader() as session:
        assert active_ids(session, T + H) == [daily.id, once.id]
        assert active_ids(session, T + 2 * D + H / 2) == [daily.id]  # 02:30 on day 3
        assert active_ids(session, T + 2 * D + 3 * H) == []  # 05:00
        assert active_ids(session, T - D + H) == []
        # between occurrences a recurring window is still coming; the one-off is over
        assert listed_ids(session, T + 2 * D + 3 * H) == [daily.id]


def test_a_weekly_window_recurs_a_week_apart(any_core):
    with any_core.db.writer() as session:
        weekly = add(session, every="week")
    with any_core.db.reader() as session:
        assert active_ids(session, T + 14 * D + H) == [weekly.id]
        assert active_ids(session, T + 2 * D + H) == []
        assert active_ids(session, T + 6 * D + H) == []


def test_repeat_until_stops_the_occurrences(any_core):
    with any_core.db.writer() as session:
        window = add(session, every="day", repeat_until=T + 2 * D + timedelta(minutes=1))
    with any_core.db.reader() as session:
        # the last occurrence starts just before the limit and runs its full length
        assert active_ids(session, T + 2 * D + H) == [window.id]
        assert listed_ids(session, T + 2 * D + H) == [window.id]
        assert active_ids(session, T + 3 * D + H) == []
        assert listed_ids(session, T + 2 * D + 3 * H) == []
    with any_core.db.writer() as session, pytest.raises(InvalidInput, match="over already"):
        maintenance.end_window(
            session=session, window_id=window.id, actor=actor(), now=T + 2 * D + 3 * H
        )


def test_ending_a_recurring_window_ends_its_occurrences(any_core):
    clock = FakeClock(T + D + 3 * H)  # the first occurrence's ends_at is long past
    with any_core.db.writer() as session:
        window = add(session, every="day")
        ended = maintenance.end_window(
            session=session, window_id=window.id, actor=actor(), now=clock.now()
        )
        assert ended.ended_early_at == clock.now()
    with any_core.db.reader() as session:
        assert active_ids(session, T + 2 * D + H) == []
        assert listed_ids(session, clock.now()) == []
    with any_core.db.writer() as session, pytest.raises(InvalidInput, match="over already"):
        maintenance.end_window(session=session, window_id=window.id, actor=actor(), now=T + 5 * D)


def test_ending_a_recurring_window_during_an_occurrence_stops_it_now(any_core):
    clock = FakeClock(T + D + H)
    with any_core.db.writer() as session:
        window = add(session, every="day")
        assert active_ids(session, clock.now()) == [window.id]
        maintenance.end_window(session=session, window_id=window.id, actor=actor(), now=clock.now())
        assert active_ids(session, clock.now()) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"every": "day", "ends_at": T + D}, "less than a day"),
        ({"every": "week", "ends_at": T + 7 * D}, "less than a week"),
        ({"every": "month"}, "every day or week"),
        ({"every": "day", "repeat_until": T}, "until after it starts"),
        ({"repeat_until": T + D}, "only a recurring"),
    ],
)
def test_impossible_recurrences_are_refused(core, kwargs, message):
    with core.db.writer() as session:
        with pytest.raises(InvalidInput, match=message):
            add(session, **kwargs)
        assert maintenance.list_windows(session=session, now=T - H, include_past=True).items == []


def test_a_recurring_window_may_last_just_under_its_period(core):
    with core.db.writer() as session:
        window = add(session, every="day", ends_at=T + D - timedelta(minutes=1))
        assert active_ids(session, T + 5 * D + 23 * H) == [window.id]
        assert active_ids(session, T + 6 * D - timedelta(seconds=30)) == []
