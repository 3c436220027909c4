"""Target selectors: device names, globs, types, tags, locations, addresses, "all".

Every reader returns its possible readings, longest first, as ``(value, next_position)``
pairs; the grammar keeps the one after which the rest of the sentence reads. Decisions:

- a type is one to three plain words ("power meters"); only the last may be plural, it is
  made singular and the words are joined with ``_`` (``power_meter``). Words the grammar uses
  for itself ("to", "limit", "priority"…) are never part of a type.
- "<word> devices" / "<word> nodes" is a tag ("critical devices"), as is "devices tagged lab".
- a location is one to three words after "in", joined with ``_`` ("in the server room" →
  ``server_room``), combined with a type or tag in the same selector.
- "all devices", "every device", "all nodes", "everything" and a lone "all" are ``{"all": true}``.
- device names keep the case they were typed in; types, tags and locations are lower-case.
- a selector's traffic is the selector: "sensor traffic", "camera streams", "pump-1's
  traffic" read as the type or device (the traffic word is read with the selector).
- "it", "them", "those"… stand for the previous clause's targets ("reboot pump-1 and limit it
  to 1 mbit"); with no previous clause they are ``no_target``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from core.intents.lexer import Token
from core.intents.units import is_unit_word


def words(text: str) -> frozenset[str]:
    """The words of a space-separated list."""
    return frozenset(text.split())


STRUCTURAL = words(
    "to at for on of with from by in and or between until till every each all any under below "
    "than off out only as into via per except tagged then also its their is be should using "
    "use during within over after before now immediately today tonight asap quickly"
)
TRAFFIC_NOUNS = frozenset({"traffic", "stream", "streams", "feed", "feeds", "packets", "flows"})
"""Words after a selector that name its traffic: "sensor traffic", "camera streams"."""
GROUP_NOUNS = frozenset({"devices", "device", "nodes", "node", "things"})
DEVICE_PREFIXES = frozenset({"device", "node", "sensor", "camera"})
QUANTIFIERS = frozenset({"all", "every", "each", "any"})
EVERYTHING = frozenset({"everything", "everyone"})
PRONOUNS = frozenset({"it", "them", "they", "those", "these", "this", "that"})
PREVIOUS = "previous"
"""Marks "them" / "it": the targets of the previous clause, filled in by the parser."""
INVARIANT = frozenset({"nas", "gps", "ups", "bus", "status", "series", "analysis", "lens"})
_ADDRESS = ("ip", "cidr", "mac")


def singular(word: str) -> str:
    if word in INVARIANT or len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def is_name(token: Token, reserved: frozenset[str]) -> bool:
    """A device id or name: a word with a digit, hyphen or underscore."""
    return (
        token.is_word
        and "*" not in token.raw
        and any(c.isdigit() or c in "-_" for c in token.raw)
        and token.low not in reserved
    )


def is_plain(token: Token, reserved: frozenset[str]) -> bool:
    """A word that may be part of a type name."""
    low = token.low
    return (
        token.is_word
        and low.isalpha()
        and low not in reserved
        and singular(low) not in reserved
        and low not in STRUCTURAL
        and low not in GROUP_NOUNS
        and low not in TRAFFIC_NOUNS
        and low not in EVERYTHING
        and not is_unit_word(low)
    )


def _place_word(token: Token, reserved: frozenset[str]) -> bool:
    return (
        token.is_word
        and "*" not in token.raw
        and token.low not in STRUCTURAL
        and token.low not in reserved
        and not is_unit_word(token.low)
    )


def locations(tokens: list[Token], pos: int, reserved: frozenset[str]) -> list[tuple[str, int]]:
    """Readings of "in the garage" at ``pos``, longest first; empty when there is none."""
    if pos >= len(tokens) or tokens[pos].low != "in":
        return []
    words: list[str] = []
    found: list[tuple[str, int]] = []
    for index in range(pos + 1, min(pos + 4, len(tokens))):
        if not _place_word(tokens[index], reserved):
            break
        words.append(tokens[index].low)
        found.append(("_".join(words), index + 1))
    return found[::-1]


def _with_location(
    base: dict[str, Any], tokens: list[Token], pos: int, reserved: frozenset[str]
) -> Iterator[tuple[dict[str, Any], int]]:
    for place, end in locations(tokens, pos, reserved):
        merged = {} if base.get("all") else dict(base)
        merged["location"] = place
        yield merged, end
    yield base, pos


def selectors(
    tokens: list[Token], pos: int, reserved: frozenset[str]
) -> list[tuple[dict[str, Any], int]]:
    """Readings of one selector starting at ``pos``."""
    start, count = pos, len(tokens)
    quantified = pos < count and tokens[pos].low in QUANTIFIERS
    if quantified:
        pos += 1
    found: list[tuple[dict[str, Any], int]] = []
    if pos < count:
        token = tokens[pos]
        nxt = tokens[pos + 1] if pos + 1 < count else None
        if token.kind in _ADDRESS:
            found.append(({token.kind: token.raw}, pos + 1))
        elif token.is_word:
            found.extend(_word_selectors(tokens, pos, token, nxt, reserved))
    if quantified and not found:
        found.append(({"all": True}, start + 1))
    return found


def _word_selectors(
    tokens: list[Token], pos: int, token: Token, nxt: Token | None, reserved: frozenset[str]
) -> Iterator[tuple[dict[str, Any], int]]:
    low = token.low
    if low in DEVICE_PREFIXES and nxt is not None and is_name(nxt, reserved):
        yield {"device": nxt.raw}, pos + 2
    if "*" in token.raw:
        yield {"glob": token.raw}, pos + 1
        return
    if is_name(token, reserved):
        yield {"device": token.raw}, pos + 1
        return
    if low in PRONOUNS:
        yield {PREVIOUS: True}, pos + 1
        return
    if low in EVERYTHING:
        yield from _with_location({"all": True}, tokens, pos + 1, reserved)
        return
    if low in GROUP_NOUNS:
        if nxt is not None and nxt.low == "tagged" and pos + 2 < len(tokens):
            tag = tokens[pos + 2]
            if _place_word(tag, reserved) or tag.low in reserved:
                yield from _with_location({"tag": tag.low}, tokens, pos + 3, reserved)
        yield from _with_location({"all": True}, tokens, pos + 1, reserved)
        return
    if low == "tagged" and nxt is not None and nxt.is_word and nxt.low not in STRUCTURAL:
        yield from _with_location({"tag": nxt.low}, tokens, pos + 2, reserved)
        return
    if nxt is not None and nxt.low in GROUP_NOUNS and low not in STRUCTURAL:
        yield from _with_location({"tag": low}, tokens, pos + 2, reserved)
    parts: list[str] = []
    readings: list[tuple[str, int]] = []
    for index in range(pos, min(pos + 3, len(tokens))):
        if not is_plain(tokens[index], reserved) or (parts and singular(parts[-1]) != parts[-1]):
            break  # a plural ends a type: "cameras now" is not a type
        parts.append(tokens[index].low)
        readings.append(("_".join([*parts[:-1], singular(parts[-1])]), index + 1))
    for name, end in reversed(readings):
        yield from _with_location({"type": name}, tokens, end, reserved)


def separators(tokens: list[Token], pos: int) -> list[int]:
    """Positions after a list separator: ",", "and", ", and"."""
    found: list[int] = []
    count = len(tokens)
    if pos < count and tokens[pos].kind == "comma":
        if pos + 1 < count and tokens[pos + 1].low == "and":
            found.append(pos + 2)
        found.append(pos + 1)
    elif pos < count and tokens[pos].low == "and":
        found.append(pos + 1)
    return found


def target_lists(
    tokens: list[Token], pos: int, reserved: frozenset[str]
) -> list[tuple[list[dict[str, Any]], int]]:
    """Readings of a list of selectors ("pump-1, pump-2 and pump-3"), longest first."""
    results: list[tuple[list[dict[str, Any]], int]] = []

    def extend(at: int, so_far: list[dict[str, Any]]) -> None:
        for selector, end in selectors(tokens, at, reserved):
            chosen = [*so_far, selector]
            if end < len(tokens) and tokens[end].low in TRAFFIC_NOUNS:
                end += 1
            results.append((chosen, end))
            for after in separators(tokens, end):
                extend(after, chosen)

    extend(pos, [])
    results.sort(key=lambda item: -item[1])
    return results


def describe(targets: list[dict[str, Any]]) -> str:
    """Targets for a person: 'every camera in the garage', 'pump-1 and pump-2'."""
    return join_words([_describe_one(target) for target in targets])


def _describe_one(target: dict[str, Any]) -> str:
    place = f" in the {target['location'].replace('_', ' ')}" if "location" in target else ""
    if "device" in target:
        return str(target["device"])
    if "glob" in target:
        return f"every device whose name matches {target['glob']}"
    if "type" in target:
        return f"every {target['type'].replace('_', ' ')}{place}"
    if "tag" in target:
        return f"every device tagged {target['tag']}{place}"
    if "ip" in target:
        return f"the device at {target['ip']}"
    if "cidr" in target:
        return f"every device in {target['cidr']}"
    if "mac" in target:
        return f"the device with MAC address {target['mac']}"
    if "location" in target:
        return f"every device{place}"
    return "every device"


def render_targets(targets: list[dict[str, Any]]) -> str:
    """Targets in the canonical words the grammar reads back to the same selectors."""
    return join_words([_render_one(target) for target in targets])


def _render_one(target: dict[str, Any]) -> str:
    place = f" in {target['location']}" if "location" in target else ""
    for key in ("device", "glob", "ip", "cidr", "mac"):
        if key in target:
            return str(target[key])
    if "type" in target:
        return f"every {target['type'].replace('_', ' ')}{place}"
    if "tag" in target:
        return f"devices tagged {target['tag']}{place}"
    if "location" in target:
        return f"devices{place}"
    return "all devices"


def join_words(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
