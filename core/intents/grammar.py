"""A small pattern language over tokens, and the backtracking matcher that reads it.

A phrasing is written as one line, for example::

    "limit|throttle|cap dir=upload|download of {targets} to|at {rate}"

- ``a|b`` is one word out of several; ``name=a|b`` also records which word was read;
- ``[ ... ]`` is optional;
- ``{slot}`` or ``{name:slot}`` reads a value with the slot reader of that name (see
  ``slots.py``); readers return every reading, longest first, and the matcher keeps each one
  after which the rest of the phrasing matches. All readings are produced, so a sentence that
  reads two ways is reported as ``ambiguous`` instead of silently taking the first.

New phrasings go in ``kinds.py`` as more such lines; nothing else changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from core.intents.lexer import Token

_PIECE = re.compile(r"\[|\]|[^\s\[\]]+")


@dataclass(frozen=True)
class Lit:
    words: frozenset[str]
    capture: str | None = None


@dataclass(frozen=True)
class Opt:
    elements: tuple[Any, ...]


@dataclass(frozen=True)
class Slot:
    name: str
    reader: str


Element = Lit | Opt | Slot


@dataclass
class Cursor:
    """What slot readers see: the tokens, the reserved words and where problems are kept."""

    tokens: list[Token]
    reserved: frozenset[str]
    problems: list[Any] = field(default_factory=list)
    furthest: int = 0
    targets_at: dict[int, list[Any]] = field(default_factory=dict)
    words: frozenset[str] = frozenset()
    """Every word of the sentence (lower case)."""
    """Target lists read at a position, kept: many phrasings read targets at the same place."""

    def reach(self, pos: int) -> None:
        self.furthest = max(self.furthest, pos)


Reader = Callable[[Cursor, int], list[tuple[Any, int]]]


def compile_pattern(text: str) -> tuple[Element, ...]:
    pieces = _PIECE.findall(text)
    elements, rest = _compile(pieces, 0)
    if rest != len(pieces):
        raise ValueError(f"unbalanced brackets in {text!r}")
    return elements


def _compile(pieces: list[str], index: int) -> tuple[tuple[Element, ...], int]:
    out: list[Element] = []
    while index < len(pieces):
        piece = pieces[index]
        if piece == "]":
            return tuple(out), index
        if piece == "[":
            inner, index = _compile(pieces, index + 1)
            out.append(Opt(inner))
        elif piece.startswith("{"):
            name, _, reader = piece.strip("{}").partition(":")
            out.append(Slot(name, reader or name))
        else:
            capture, _, words = piece.rpartition("=")
            out.append(Lit(frozenset(words.split("|")), capture or None))
        index += 1
    return tuple(out), index


def literals(elements: tuple[Element, ...]) -> set[str]:
    found: set[str] = set()
    for element in elements:
        if isinstance(element, Lit):
            found |= element.words
        elif isinstance(element, Opt):
            found |= literals(element.elements)
    return found


def required_words(elements: tuple[Element, ...]) -> tuple[frozenset[str], ...]:
    """The word choices a match cannot do without: a sentence holding none of one of them
    cannot match, which is checked before any matching is tried."""
    return tuple(element.words for element in elements if isinstance(element, Lit))


def first_words(elements: tuple[Element, ...]) -> set[str] | None:
    """Words a match can start with, or None when it may start with a slot."""
    found: set[str] = set()
    for element in elements:
        if isinstance(element, Lit):
            return found | element.words
        if isinstance(element, Slot):
            return None
        inner = first_words(element.elements)
        if inner is None:
            return None
        found |= inner
    return None


def match(
    elements: tuple[Element, ...],
    cursor: Cursor,
    pos: int,
    values: dict[str, Any],
    readers: dict[str, Reader],
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every way ``elements`` match from ``pos``: the end position and the values read."""
    if not elements:
        yield pos, values
        return
    head, rest = elements[0], elements[1:]
    tokens = cursor.tokens
    if isinstance(head, Lit):
        if pos < len(tokens) and tokens[pos].low in head.words:
            cursor.reach(pos + 1)
            if head.capture:
                values = {**values, head.capture: tokens[pos].low}
            yield from match(rest, cursor, pos + 1, values, readers)
    elif isinstance(head, Opt):
        for end, inner in match(head.elements, cursor, pos, values, readers):
            yield from match(rest, cursor, end, inner, readers)
        yield from match(rest, cursor, pos, values, readers)
    else:
        for value, end in readers[head.reader](cursor, pos):
            cursor.reach(end)
            yield from match(rest, cursor, end, {**values, head.name: (value, pos)}, readers)
