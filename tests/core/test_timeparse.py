"""Times as an operator types them on the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput
from core.timeparse import parse_time

NOW = datetime(2026, 2, 12, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("NOW", NOW),
        ("-1h", NOW - timedelta(hours=1)),
        ("-15m", NOW - timedelta(minutes=15)),
        ("-15min", NOW - timedelta(minutes=15)),
        ("-2d", NOW - timedelta(days=2)),
        ("-90s", NOW - timedelta(seconds=90)),
        ("-500ms", NOW - timedelta(milliseconds=500)),
        ("-1w", NOW - timedelta(weeks=1)),
        ("-1.5h", NOW - timedelta(minutes=90)),
        (" -1H ", NOW - timedelta(hours=1)),
        ("2026-02-12T08:30:00Z", datetime(2026, 2, 12, 8, 30, tzinfo=UTC)),
        ("2026-02-12T08:30:00z", datetime(2026, 2, 12, 8, 30, tzinfo=UTC)),
        ("2026-02-12T10:30:00+02:00", datetime(2026, 2, 12, 8, 30, tzinfo=UTC)),
        ("2026-02-12T08:30:00", datetime(2026, 2, 12, 8, 30, tzinfo=UTC)),  # naive is UTC
        ("2026-02-12", datetime(2026, 2, 12, tzinfo=UTC)),
        ("1770000000", datetime(2026, 2, 2, 2, 40, tzinfo=UTC)),
        ("1770000000000", datetime(2026, 2, 2, 2, 40, tzinfo=UTC)),
        ("1770000000.5", datetime(2026, 2, 2, 2, 40, 0, 500_000, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    parsed = parse_time(text, now=NOW)

    assert parsed == expected
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "yesterday", "-1x", "1h", "--1h", "-h", "12abc", "2026-13-01", "-5"],
)
def test_garbage_is_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_time(text, now=NOW)


@pytest.mark.parametrize("text", ["99999999999999999999", "-1000000d", "-99999999w"])
def test_times_out_of_range_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_time(text, now=NOW)


@given(n=st.integers(min_value=0, max_value=10**6))
def test_relative_seconds_count_back_from_now(n: int) -> None:
    assert parse_time(f"-{n}s", now=NOW) == NOW - timedelta(seconds=n)


@given(moment=st.datetimes(timezones=st.just(UTC)).map(lambda d: d.replace(microsecond=0)))
def test_iso_times_read_back_exactly(moment: datetime) -> None:
    assert parse_time(moment.isoformat(), now=NOW) == moment
