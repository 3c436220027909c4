"""Milliseconds since the epoch are how readings are stored and windows are bounded; a
moment must turn into exactly its millisecond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from core.clock import Clock, SystemClock, from_ms, to_ms
from tests.factories import FakeClock

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "ms",
    [0, 1001, 1_770_000_000_000, 1_093_396_977_340],
)
def test_to_ms_of_an_exact_millisecond(ms: int) -> None:
    assert to_ms(EPOCH + timedelta(milliseconds=ms)) == ms


YEAR_2100_MS = 4_102_444_800_000


@given(ms=st.integers(min_value=0, max_value=YEAR_2100_MS))
@example(ms=1001)
def test_to_ms_and_from_ms_round_trip(ms: int) -> None:
    moment = EPOCH + timedelta(milliseconds=ms)

    assert to_ms(moment) == ms
    assert from_ms(ms) == moment


def test_naive_datetimes_are_taken_as_utc() -> None:
    assert to_ms(datetime(2026, 2, 2, 2, 40)) == 1_770_000_000_000


def test_fake_clock_moves_only_when_told() -> None:
    clock: Clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    before_now, before_mono = clock.now(), clock.monotonic()

    assert clock.now() == before_now
    clock.advance(90)  # type: ignore[attr-defined]

    assert clock.now() - before_now == timedelta(seconds=90)
    assert clock.monotonic() - before_mono == 90
    assert clock.now().utcoffset() == timedelta(0)


def test_system_clock_is_aware_utc() -> None:
    assert SystemClock().now().utcoffset() == timedelta(0)
