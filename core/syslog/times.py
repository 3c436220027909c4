"""Syslog timestamps to epoch milliseconds, with plain integer calendar arithmetic (no
``datetime`` overflow to guard against on hostile input, and fast).

RFC 3164 stamps (``Feb 12 10:00:10``) have no year and no zone. OpenWRT writes the router's
local time there; Warden cannot know the router's zone, so it **assumes UTC** (set routers to
UTC, or send RFC 5424, for exact times). The year is inferred from the arrival time: the latest
of last year, this year and next year that puts the stamp **no more than one day after
arrival**. So a December line arriving just after New Year belongs to last year, a stamp a few
days ahead (a router clock wrong, or a line from last year's same week) is last year too, and a
``Jan  1 00:00:05`` arriving at ``Dec 31 23:59:58`` (router clock slightly ahead) is next year.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

DAY_MS = 86_400_000
FUTURE_SLACK_MS = DAY_MS
"""How far after arrival an RFC 3164 stamp may lie before it is taken to be last year's."""

MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_RFC5424_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)?")


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    year -= month <= 2
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def year_of(ms: int) -> int:
    """The UTC year of an epoch-ms time (inverse of :func:`days_from_civil`, year only)."""
    z = ms // DAY_MS + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    return yoe + era * 400 + (mp >= 10)


def bsd_to_ms(
    month: int, day: int, hms: int, *, received_ms: int, now_year: int | None
) -> int | None:
    """Epoch ms of an RFC 3164 stamp (``hms``: seconds into the day), year inferred as the
    module says, or ``now_year`` exactly when given (replaying a file of a known year);
    ``None`` when no candidate year has that date (``Feb 30``)."""
    if now_year is None:
        base = year_of(received_ms)
        years: tuple[int, ...] = (base + 1, base, base - 1)
    else:
        years = (now_year,)
    latest = received_ms + FUTURE_SLACK_MS
    found = None
    for year in years:
        if day > _MONTH_DAYS[month - 1] + (month == 2 and _is_leap(year)):
            continue
        ms = days_from_civil(year, month, day) * DAY_MS + hms * 1000
        found = ms
        if ms <= latest or now_year is not None:
            return ms
    return found


def iso_to_ms(text: str) -> int | None:
    """Epoch ms of an RFC 5424 / ISO 8601 stamp; no offset means UTC; ``None`` if invalid."""
    if _RFC5424_TIME.fullmatch(text) is None:
        return None
    head, dot, rest = text.partition(".")
    if dot:  # Python 3.11 takes at most 6 fraction digits: cut the rest
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        delta = moment - _EPOCH
    except (ValueError, OverflowError):
        return None
    return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
