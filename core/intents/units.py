"""Units of INTENTS.md: reading a number and its unit, range checks, canonical writing.

Rates: upper-case ``B`` means bytes (times 8) and lower-case ``b`` bits, whatever the case of the
prefix ("100KB/s" = 800 000 bit/s, "100 kb/s" = 100 000 bit/s, "MBPS" is bytes); a word
containing "bit" is always bits. A bare number is Mbit/s. A lone prefix ("2m", "500k") and a
lone "m" for time are ``ambiguous`` (Mbit/s or MB/s, minutes or milliseconds). Besides the
units of the table, ``secs``, ``mins``, ``hr``/``hrs`` and the spelled-out ``kilobit``,
``megabyte``… are accepted.
"""

from __future__ import annotations

import re

from core.intents.model import IntentError

RATE_MIN, RATE_MAX = 8_000, 10_000_000_000
_RATE = re.compile(
    r"(?P<prefix>[kmgKMG]|kilo|mega|giga)?"
    r"(?P<base>bits?|bytes?|b|B)"
    r"(?P<per>/s|ps|/S|PS|Ps)?"
)
_PREFIX = {"": 1, "k": 1_000, "m": 1_000_000, "g": 1_000_000_000}
_PREFIX.update({"kilo": 1_000, "mega": 1_000_000, "giga": 1_000_000_000})
TIME_MS = {
    "ms": 1, "msec": 1, "msecs": 1, "millisecond": 1, "milliseconds": 1,
    "s": 1000, "sec": 1000, "secs": 1000, "second": 1000, "seconds": 1000,
    "min": 60_000, "mins": 60_000, "minute": 60_000, "minutes": 60_000,
    "h": 3_600_000, "hr": 3_600_000, "hrs": 3_600_000, "hour": 3_600_000, "hours": 3_600_000,
}  # fmt: skip
FREQ_HZ = {"hz": 1, "khz": 1000}
PERCENT = frozenset({"percent", "pct"})
SETTING_UNITS = frozenset({"db"})
"""Units only a device setting takes (as declared): the number is kept as said."""
AMBIGUOUS_RATE = frozenset({"k", "m", "g"})


def rate_multiplier(unit: str) -> int | None:
    """bit/s per unit for a rate unit as typed, or None when it is not a rate unit."""
    match = _RATE.fullmatch(unit) or _RATE.fullmatch(unit.lower())
    if match is None:
        return None
    typed_base = unit[match.start("base") : match.end("base")]
    prefix = (match["prefix"] or "").lower()
    is_bytes = typed_base.lower().startswith("byte") or typed_base.startswith("B")
    if typed_base.lower().startswith("bit"):
        is_bytes = False
    return _PREFIX[prefix] * (8 if is_bytes else 1)


def is_unit_word(low: str) -> bool:
    return (
        low in TIME_MS
        or low in FREQ_HZ
        or low in PERCENT
        or low in SETTING_UNITS
        or low in AMBIGUOUS_RATE
        or rate_multiplier(low) is not None
    )


def whole(value: float) -> int | float:
    """An int when the number is whole, so 2.0 is written 2."""
    return int(value) if float(value).is_integer() else value


def check_range(value: float, low: float, high: float, what: str, unit: str, at: int) -> None:
    if not low <= value <= high:
        raise IntentError(
            "out_of_range",
            f"{what} {format_number(value)}{unit} is out of range: it must be between "
            f"{format_number(low)}{unit} and {format_number(high)}{unit}.",
            at=at,
        )


def format_number(value: float) -> str:
    value = whole(round(value, 6))
    return str(value)


def format_rate(bps: int) -> str:
    """400000 → '400 kbit/s'; the largest unit that writes the rate as a whole number."""
    if bps == 0:
        return "0 bit/s"
    for size, name in ((1_000_000_000, "Gbit/s"), (1_000_000, "Mbit/s"), (1_000, "kbit/s")):
        if bps % size == 0:
            return f"{bps // size} {name}"
    return f"{bps} bit/s"


def format_rate_range() -> str:
    return f"{format_rate(RATE_MIN)} and {format_rate(RATE_MAX)}"


def format_seconds(seconds: int) -> str:
    """1800 → '30 minutes', 7200 → '2 hours', 45 → '45 seconds'."""
    for size, name in ((3600, "hour"), (60, "minute")):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {name}{'' if count == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"
