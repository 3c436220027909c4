"""Times as people type them on the command line: ``now``, ``-1h``, ``-15m``, ``-2d``,
``2026-02-12T10:00:00Z``, ``2026-02-12``, or epoch seconds/milliseconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from core.errors import InvalidInput

_RELATIVE = re.compile(r"^\s*-\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d|w)\s*$", re.IGNORECASE)
_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "min": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_EPOCH_MS_ABOVE = 100_000_000_000  # larger epoch numbers are milliseconds (after 1973)


def parse_time(text: str, *, now: datetime) -> datetime:
    """An aware UTC datetime for ``text``, relative ones counted back from ``now``."""
    value = text.strip()
    if not value:
        raise InvalidInput("empty time; use now, -1h, an ISO 8601 time or epoch seconds")
    if value.lower() == "now":
        return now
    if match := _RELATIVE.match(value):
        amount, unit = float(match[1]), match[2].lower()
        try:
            return now - _UNITS[unit] * amount
        except (OverflowError, ValueError) as exc:
            raise InvalidInput(f"{text!r} reaches outside the calendar") from exc
    if re.fullmatch(r"\d+(\.\d+)?", value):
        number = float(value)
        seconds = number / 1000 if number >= _EPOCH_MS_ABOVE else number
        try:
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise InvalidInput(f"{text!r} is out of range as an epoch time") from exc
    try:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError as exc:
        raise InvalidInput(
            f"cannot read {text!r} as a time; use now, -1h, -15m, -2d, "
            "2026-02-12T10:00:00Z or epoch seconds"
        ) from exc
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
