"""Suggestions reworded for the real fleet: a likely typo of a device name corrected, and
the examples' made-up devices and types replaced by ones the registry holds."""

from __future__ import annotations

from typing import Any

from core.intents.fleet import Fleet, plural
from core.intents.lexer import Token, check_text, tokenize
from core.intents.model import IntentError
from core.intents.targets import is_name, singular


def for_fleet(text: str, suggestions: list[str], fleet: Fleet) -> list[str]:
    """``suggestions`` naming ``fleet``'s devices and types; a corrected ``text`` first when
    it names a device the fleet does not hold but holds one close to it."""
    from core.intents.parser import RESERVED, parse_intent  # the parser calls this module

    try:
        said = tokenize(check_text(text))
    except IntentError:
        said = []
    known = [t.raw for t in said if is_name(t, RESERVED) and fleet.has_name(t.raw)]
    out: list[str] = []
    for index, token in enumerate(said):
        if is_name(token, RESERVED) and not fleet.has_name(token.raw):
            close = fleet.close_name(token.raw)
            if close is not None:
                out.append(_replaced(said, {index: close}))
    for number, suggestion in enumerate(suggestions):
        out.append(_reworded(suggestion, fleet, known, number))
    kept: list[str] = []
    for suggestion in out:
        if suggestion not in kept and parse_intent(suggestion).ok:
            kept.append(suggestion)
    return kept or suggestions


def name_hint(fleet: Fleet) -> str:
    """How a target is named, with the fleet's own examples."""
    name, kind = fleet.example_name(), fleet.example_type()
    parts = [f"a name like {name}" if name else "a device name"]
    if kind:
        parts.append(f"a type like {plural(kind.replace('_', ' '))}")
    return ", ".join(parts)


def _replaced(tokens: list[Token], swaps: dict[int, str]) -> str:
    return " ".join(swaps.get(i, t.raw) for i, t in enumerate(tokens))


def _reworded(suggestion: str, fleet: Fleet, known: list[str], number: int) -> str:
    from core.intents.parser import RESERVED, parse_intent

    result = parse_intent(suggestion)
    if not result.ok:
        return suggestion
    tokens = tokenize(check_text(suggestion))
    targets: list[dict[str, Any]] = [t for intent in result.intents for t in intent.targets]
    swaps: dict[int, str] = {}
    for target in targets:
        if "device" in target and not fleet.has_name(str(target["device"])):
            name = fleet.close_name(str(target["device"])) or (
                known[0] if known else fleet.example_name(number)
            )
            if name is None:
                continue
            for index, token in enumerate(tokens):
                if token.raw == target["device"] and is_name(token, RESERVED):
                    swaps[index] = name
        if "type" in target and target["type"] not in fleet.types:
            new_type = fleet.example_type(number)
            if new_type is None:
                continue
            swaps.update(_type_swaps(tokens, str(target["type"]), new_type))
    return _replaced_runs(tokens, swaps)


def _type_swaps(tokens: list[Token], old: str, new: str) -> dict[int, str]:
    """Where the words of type ``old`` stand in ``tokens``, and the words of ``new``."""
    words = old.split("_")
    for start in range(len(tokens) - len(words) + 1):
        run = [t.low for t in tokens[start : start + len(words)]]
        if run[:-1] == words[:-1] and singular(run[-1]) == words[-1]:
            is_plural = run[-1] != words[-1]
            text = new.replace("_", " ")
            swaps = {start: plural(text) if is_plural else text}
            swaps.update({start + k: "" for k in range(1, len(words))})
            return swaps
    return {}


def _replaced_runs(tokens: list[Token], swaps: dict[int, str]) -> str:
    return " ".join(w for w in (swaps.get(i, t.raw) for i, t in enumerate(tokens)) if w)
