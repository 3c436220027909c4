"""Slot readers: each reads one kind of value at a position and returns its readings.

A reader that finds something wrong (a rate with a time unit, "2m") records an
``IntentError`` on the cursor and returns no reading; the error is reported only when no
reading of the whole sentence succeeds.
"""

from __future__ import annotations

import re
from typing import Any

from core.intents.grammar import Cursor
from core.intents.lexer import Token
from core.intents.model import IntentError
from core.intents.targets import STRUCTURAL, target_lists, words
from core.intents.units import (
    AMBIGUOUS_RATE,
    FREQ_HZ,
    PERCENT,
    TIME_MS,
    is_unit_word,
    rate_multiplier,
)

KIND_KEYWORDS = words(
    "priority qos mqtt bandwidth latency delay jitter loss sampling sample interval cadence "
    "saving limit firmware"
)
"""Words that never name a device setting: they belong to their own kinds."""
PRIORITY_WORDS = {"low": 2, "medium": 5, "normal": 5, "high": 8, "urgent": 9, "critical": 10}
_KEY_WORD = re.compile(r"[a-z][a-z0-9_]*")
_VERSION_WORD = re.compile(r"v\d+(?:\.\d+)*")
BOOL_WORDS = {"on": True, "true": True, "enabled": True, "yes": True}
BOOL_WORDS.update({"off": False, "false": False, "disabled": False, "no": False})
REVOKE_NOUNS: dict[tuple[str, ...], str] = {}
for _kind, _phrases in {
    "bandwidth_limit": "limits|limit|bandwidth limits|bandwidth limit|rate limits|caps|throttling",
    "bandwidth_guarantee": "guarantees|guarantee|bandwidth guarantees|reservations",
    "priority": "priorities|priority|prioritization|prioritisation",
    "low_latency": "latency settings|low latency",
    "impair": "impairments|impairment|delays|delay|packet loss|loss|jitter",
    "block": "blocks|block",
    "allow_only": "allow rules|allowlists",
    "mqtt_qos": "qos settings|qos",
    "report_interval": "report intervals|report interval",
    "sampling": "sampling settings|sampling",
    "power_saving": "power saving",
    "device_setting": "settings",
}.items():
    for _phrase in _phrases.split("|"):
        REVOKE_NOUNS[tuple(_phrase.split())] = _kind
REVOKE_NOUN_OF = {
    kind: " ".join(words) for words, kind in reversed(list(REVOKE_NOUNS.items()))
}  # the first noun listed for each kind, used when rendering


def token_at(cursor: Cursor, pos: int) -> Token | None:
    return cursor.tokens[pos] if pos < len(cursor.tokens) else None


def problem(cursor: Cursor, code: Any, msg: str, pos: int, hint: list[str] | None = None) -> None:
    cursor.problems.append(IntentError(code, msg, suggestions=hint, at=pos))


def _replaced(cursor: Cursor, pos: int, word: str) -> str:
    """The sentence with the token at ``pos`` replaced: a suggested rewrite."""
    return " ".join(word if i == pos else t.raw for i, t in enumerate(cursor.tokens))


def _is_strange_word(token: Token | None, cursor: Cursor) -> bool:
    """An alphabetic word right after a number that is neither grammar nor a known unit."""
    return (
        token is not None
        and token.is_word
        and token.low.replace("/", "").isalpha()
        and token.low not in STRUCTURAL
        and token.low not in cursor.reserved
    )


def read_targets(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    found = cursor.targets_at.get(pos)
    if found is None:
        found = cursor.targets_at[pos] = target_lists(cursor.tokens, pos, cursor.reserved)
    return found


def read_rate(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    token = token_at(cursor, pos)
    if token is None or token.kind != "num":
        return []
    number = float(token.raw)
    unit = token_at(cursor, pos + 1)
    if unit is not None and unit.is_word:
        if unit.low in AMBIGUOUS_RATE:
            problem(
                cursor,
                "ambiguous",
                f"'{token.raw}{unit.raw}' could mean {token.raw} {unit.raw.upper()}bit/s or "
                f"{token.raw} {unit.raw.upper()}B/s; write the unit out.",
                pos,
                [
                    _replaced(cursor, pos + 1, f"{unit.low}bit"),
                    _replaced(cursor, pos + 1, f"{unit.raw.upper()}B/s"),
                ],
            )
            return []
        multiplier = rate_multiplier(unit.raw)
        if multiplier is not None:
            return [({"bps": round(number * multiplier), "bare": False}, pos + 2)]
        if is_unit_word(unit.low) or _is_strange_word(unit, cursor):
            problem(
                cursor,
                "unknown_unit",
                f"'{unit.raw}' is not a rate unit; use bit/s units (kbit, Mbit/s, mbps, gbit) "
                "or byte/s units (KB/s, MB/s).",
                pos + 1,
                [_replaced(cursor, pos + 1, "mbit")],
            )
            return []
    if unit is not None and unit.kind == "pct":
        problem(cursor, "unknown_unit", "'%' is not a rate unit; use kbit, Mbit/s or MB/s.", pos)
        return []
    return [({"bps": round(number * 1_000_000), "bare": True, "text": token.raw}, pos + 1)]


_ONE_UNIT = frozenset({"second", "minute", "hour", "sec", "min"})
"""Time units that stand for one of themselves after "every": "every minute"."""


def read_time_ms(cursor: Cursor, pos: int, *, hertz: bool = False) -> list[tuple[Any, int]]:
    token = token_at(cursor, pos)
    if token is not None and token.low in _ONE_UNIT and _after_every(cursor, pos):
        return [(float(TIME_MS[token.low]), pos + 1)]
    if token is None or token.kind != "num":
        return []
    number = float(token.raw)
    unit = token_at(cursor, pos + 1)
    if unit is not None and unit.is_word:
        if unit.low in TIME_MS:
            return [(number * TIME_MS[unit.low], pos + 2)]
        if hertz and unit.low in FREQ_HZ:
            hz = number * FREQ_HZ[unit.low]
            if hz <= 0:
                problem(cursor, "bad_value", "A frequency must be above 0 Hz.", pos)
                return []
            return [(Hertz(hz), pos + 2)]
        if unit.low == "m":
            problem(
                cursor,
                "ambiguous",
                f"'{token.raw} m' could mean minutes or milliseconds; write min or ms.",
                pos + 1,
                [_replaced(cursor, pos + 1, "min"), _replaced(cursor, pos + 1, "ms")],
            )
            return []
        if is_unit_word(unit.low) or _is_strange_word(unit, cursor):
            problem(
                cursor,
                "unknown_unit",
                f"'{unit.raw}' is not a time unit; use ms, s, min or h"
                + (", or hz for a frequency." if hertz else "."),
                pos + 1,
                [_replaced(cursor, pos + 1, "ms"), _replaced(cursor, pos + 1, "s")],
            )
            return []
    problem(
        cursor,
        "unknown_unit",
        f"The number {token.raw} needs a time unit: ms, s, min or h.",
        pos,
        [_replaced(cursor, pos, f"{token.raw} ms"), _replaced(cursor, pos, f"{token.raw} s")],
    )
    return []


def read_ms(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    return read_time_ms(cursor, pos)


def read_secs(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    return [(ms / 1000, end) for ms, end in read_time_ms(cursor, pos)]


def _after_every(cursor: Cursor, pos: int) -> bool:
    return pos > 0 and cursor.tokens[pos - 1].low in ("every", "each")


class Hertz(float):
    """A frequency read where an interval may also be said ("sample at 2 hz")."""


def read_cadence(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    """An interval in ms, or a frequency as ``Hertz``: the builder decides which it is."""
    return read_time_ms(cursor, pos, hertz=True)


def read_pct(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    token, unit = token_at(cursor, pos), token_at(cursor, pos + 1)
    if token is None or token.kind != "num" or unit is None:
        return []
    if unit.kind == "pct" or unit.low in PERCENT:
        return [(float(token.raw), pos + 2)]
    return []


def read_int(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    token = token_at(cursor, pos)
    if token is None or token.kind != "num":
        return []
    if "." in token.raw:
        problem(cursor, "bad_value", f"{token.raw} must be a whole number.", pos)
        return []
    return [(int(token.raw), pos + 1)]


def read_level(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    token = token_at(cursor, pos)
    if token is not None and token.low in PRIORITY_WORDS:
        return [(PRIORITY_WORDS[token.low], pos + 1)]
    return read_int(cursor, pos)


def read_pword(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    token = token_at(cursor, pos)
    if token is not None and token.low in PRIORITY_WORDS:
        return [(PRIORITY_WORDS[token.low], pos + 1)]
    return []


def read_version(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    token = token_at(cursor, pos)
    if token is None:
        return []
    if token.kind in ("version", "num") or (token.is_word and _VERSION_WORD.fullmatch(token.low)):
        return [(token.raw.lstrip("vV"), pos + 1)]
    return []


def read_key(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    parts: list[str] = []
    found: list[tuple[Any, int]] = []
    for index in range(pos, min(pos + 4, len(cursor.tokens))):
        token = cursor.tokens[index]
        if not (
            token.is_word
            and _KEY_WORD.fullmatch(token.low)
            and token.low not in STRUCTURAL
            and not set(token.low.split("_")) & KIND_KEYWORDS
        ):
            break
        parts.append(token.low)
        found.append(("_".join(parts), index + 1))
    return found[::-1]


def read_value(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    """A setting value: ``("num", number, unit or None)`` or ``("word", word)``."""
    token = token_at(cursor, pos)
    if token is None:
        return []
    if token.kind == "num":
        unit = token_at(cursor, pos + 1)
        found: list[tuple[Any, int]] = []
        if unit is not None and unit.kind == "pct":
            return [(("num", float(token.raw), "%"), pos + 2)]
        if unit is not None and unit.is_word and is_unit_word(unit.low):
            found.append((("num", float(token.raw), unit.raw), pos + 2))
        elif _is_strange_word(unit, cursor):
            problem(cursor, "unknown_unit", f"'{unit.raw}' is not a unit Warden knows.", pos + 1)
        found.append((("num", float(token.raw), None), pos + 1))
        return found
    if token.is_word and token.low in BOOL_WORDS:
        return [(("word", token.low), pos + 1)]
    if token.is_word and token.low not in STRUCTURAL:
        said = [token.low]
        found = [(("word", token.low), pos + 1)]
        for index in range(pos + 1, min(pos + 3, len(cursor.tokens))):
            word = cursor.tokens[index]
            if not _is_value_word(word, cursor):
                break
            said.append(word.low)
            found.append((("word", " ".join(said)), index + 1))
        return found[::-1]
    return []


def _is_value_word(token: Token, cursor: Cursor) -> bool:
    """A further word of a value said in words ("full hd")."""
    return (
        token.is_word
        and _ACTION_WORD.fullmatch(token.low) is not None
        and token.low not in STRUCTURAL
        and token.low not in cursor.reserved
    )


_ACTION_WORD = re.compile(r"[a-z][a-z0-9]*")


def read_action(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    """What a device does, in one or two words ("capture", "read co2"), as a key part."""
    said: list[str] = []
    found: list[tuple[Any, int]] = []
    for index in range(pos, min(pos + 2, len(cursor.tokens))):
        token = cursor.tokens[index]
        if not _is_value_word(token, cursor) or is_unit_word(token.low):
            break
        said.append(token.low)
        found.append(("_".join(said), index + 1))
    return found[::-1]


def read_revkind(cursor: Cursor, pos: int) -> list[tuple[Any, int]]:
    found: list[tuple[Any, int]] = []
    for size in (2, 1):
        parts = tuple(token.low for token in cursor.tokens[pos : pos + size])
        if len(parts) == size and parts in REVOKE_NOUNS:
            found.append((REVOKE_NOUNS[parts], pos + size))
    return found
