"""``parse_intent``: text → intents, or the clearest error found.

A sentence is one or more clauses joined by "and" / "," / "then"; a clause is optional time
phrases, one phrasing of ``kinds.TABLE`` and optional time phrases. Every complete reading of
the sentence is produced; one distinct reading is the answer, several are ``ambiguous`` (each
offered back as a canonical sentence), none is the error found furthest into the sentence or
``no_intent``. Decisions: a clause without targets takes the previous clause's; the first
clause without targets targets every device for the network kinds and revocations by kind,
and is ``no_target`` for everything else (block, allow-only, unblock and guarantees included,
since "block" alone must never cut off the whole network).
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from core.intents.builders import NETWORK_KINDS, Built
from core.intents.explain import explain
from core.intents.fleet import Fleet
from core.intents.fleet_words import for_fleet, name_hint
from core.intents.grammar import (
    Cursor,
    compile_pattern,
    first_words,
    literals,
    match,
    required_words,
)
from core.intents.kinds import EXAMPLES, TABLE
from core.intents.lexer import Token, check_text, tokenize
from core.intents.model import Intent, IntentError, ParseFailure, ParseResult
from core.intents.params import built_params
from core.intents.readers import READERS
from core.intents.render import render
from core.intents.schedule import SCHEDULE_WORDS, Timing, merge, timings
from core.intents.slots import read_targets
from core.intents.targets import PREVIOUS, TRAFFIC_NOUNS, words

TYPE_FRIENDLY = frozenset(
    {"power", "data", "status", "speaker", "screen", "mode", "light", "switch", "sensor", "battery"}
)
"""Words the grammar uses that may still be part of a device type ("power meters")."""

_PATTERNS = [(kind, build, compile_pattern(text)) for kind, build, texts in TABLE for text in texts]
RESERVED = (
    frozenset(set().union(*(literals(elements) for _, _, elements in _PATTERNS)) | SCHEDULE_WORDS)
    - TYPE_FRIENDLY
)
_REQUIRED = [
    frozenset().union(*(w for w in required_words(elements) if len(w) == 1))
    for _, _, elements in _PATTERNS
]
"""Per phrasing, the words it cannot match without (its one-word literals): a sentence
missing one of them skips the phrasing before any matching."""
_BY_FIRST: dict[str, list[int]] = {}
_ANYWHERE: list[int] = []
for _index, (_, _, _elements) in enumerate(_PATTERNS):
    _words = first_words(_elements)
    if _words is None:
        _ANYWHERE.append(_index)
    else:
        for _word in _words:
            _BY_FIRST.setdefault(_word, []).append(_index)
TARGET_PREPOSITIONS = words("for on of to from")
SUBJECT_LINKS = words("should must shall will needs need gets get has have is are be")
"""Words between a subject and its phrasing: "doorbell-1 should have high priority"."""
LEAD_INS = [("make", "sure", "that"), ("make", "sure"), ("ensure", "that"), ("be", "sure", "to")]
"""Words before a clause that add nothing: "make sure latency stays below 20 ms"."""
NAME_HINT = "a name like pump-1, a type like cameras"
"""How a target is named in a ``no_target`` message, reworded for the fleet when known."""
_LEAD_IN_FIRST = frozenset(lead_in[0] for lead_in in LEAD_INS)
_GENERAL_EXAMPLES = ["limit cameras to 1 mbit", "prioritize doorbell-1", "reboot pump-1"]
_RANK = {"out_of_range": 4, "bad_value": 3, "ambiguous": 2, "unknown_unit": 1}


@dataclass(frozen=True)
class Reading:
    kind: str
    targets: tuple[Any, ...] | None
    params: dict[str, Any]
    timing: Timing
    warnings: tuple[str, ...]
    tail: bool = False
    """The targets were said last, after "for" / "on" / "of" / "to" / "from": a compound
    sentence's earlier clauses without targets share them."""

    def key(self) -> str:
        """What makes two readings the same."""
        return repr((self.kind, self.targets, sorted(self.params.items()), self.timing))


def parse_intent(text: str, *, fleet: Fleet | None = None) -> ParseResult:
    """The structured intents of ``text``, or why it cannot be read (never raises).

    ``fleet``: what the registry holds; when given, suggestions name its devices, types
    and declared settings instead of made-up examples (the reading does not change)."""
    try:
        intents, warnings = _parse(text)
    except IntentError as error:
        suggestions, message = error.suggestions, error.msg
        if fleet is not None and error.code != "ambiguous":
            suggestions = for_fleet(text, suggestions, fleet)
            message = message.replace(NAME_HINT, name_hint(fleet))
        failure = ParseFailure(code=error.code, message=message, suggestions=suggestions)
        return ParseResult(ok=False, error=failure)
    return ParseResult(ok=True, intents=intents, warnings=warnings)


def _parse(text: str, *, suggest: bool = True) -> tuple[list[Intent], list[str]]:
    tokens = tokenize(check_text(text))
    if not tokens:
        raise IntentError(
            "empty",
            "The intent holds only filler words; say what should happen.",
            suggestions=_GENERAL_EXAMPLES,
        )
    cursor = Cursor(tokens, RESERVED, words=frozenset(token.low for token in tokens))
    readings: dict[str, list[Reading]] = {}
    for sentence in _sentences(cursor, 0, {}, {}):
        readings.setdefault("|".join(r.key() for r in sentence), sentence)
    if not readings:
        raise _failure(cursor, suggest=suggest)
    if len(readings) > 1:
        options = []
        for sentence in readings.values():
            try:
                options.append(" and ".join(render(i) for i in _finish(sentence)[0]))
            except IntentError:
                continue
        raise IntentError(
            "ambiguous",
            f"'{text.strip()}' can be read in {len(readings)} ways; say which one is meant.",
            suggestions=options,
        )
    return _finish(next(iter(readings.values())))


def _sentences(
    cursor: Cursor, pos: int, memo: dict[int, list[list[Reading]]], clause_memo: dict[int, Any]
) -> list[list[Reading]]:
    if pos in memo:
        return memo[pos]
    found: list[list[Reading]] = []
    memo[pos] = found
    for reading, end in _clauses(cursor, pos, clause_memo):
        if end == len(cursor.tokens):
            found.append([reading])
            continue
        for after in _joins(cursor.tokens, end):
            found.extend([reading, *rest] for rest in _sentences(cursor, after, memo, clause_memo))
    return found


def _joins(tokens: list[Token], pos: int) -> list[int]:
    """Positions after a clause separator: 'and', ',', ', and', 'and then', 'then'."""
    start = pos
    if pos < len(tokens) and tokens[pos].kind == "comma":
        pos += 1
    if pos < len(tokens) and tokens[pos].low == "and":
        pos += 1
    if pos < len(tokens) and tokens[pos].low in ("then", "also"):
        pos += 1
    return [pos] if start < pos < len(tokens) else []


def _timings(cursor: Cursor, pos: int) -> list[tuple[Timing, int]]:
    try:
        return timings(cursor.tokens, pos)
    except IntentError as error:
        cursor.problems.append(error)
        return [(Timing(), pos)]


def _clauses(cursor: Cursor, pos: int, memo: dict[int, Any]) -> list[tuple[Reading, int]]:
    if pos in memo:
        return memo[pos]
    found: list[tuple[Reading, int]] = []
    tokens = cursor.tokens
    for before, start in _timings(cursor, pos):
        for lead, first in _leads(cursor, start):
            if first >= len(tokens):
                continue
            for index in _BY_FIRST.get(tokens[first].low, []) + _ANYWHERE:
                if not _REQUIRED[index] <= cursor.words:
                    continue
                kind, build, elements = _PATTERNS[index]
                for end, values in match(elements, cursor, first, {}, READERS):
                    if lead is not None and "targets" in values:
                        continue
                    for targets, tail, at in _tails(cursor, end, lead, values):
                        for after, stop in _timings(cursor, at):
                            reading = _reading(
                                cursor, kind, build, values, targets, tail, (before, after, stop)
                            )
                            if reading is not None:
                                found.append((reading, stop))
    memo[pos] = found
    return found


def _leads(cursor: Cursor, pos: int) -> list[tuple[list[Any] | None, int]]:
    """Where the phrasing may start after what comes before the verb: nothing, a lead-in
    ("make sure"), targets after a preposition ("for printer-4,") or as the subject
    ("doorbell-1 should have ...")."""
    tokens = cursor.tokens
    starts = [pos]
    if pos < len(tokens) and tokens[pos].low in _LEAD_IN_FIRST:
        for lead_in in LEAD_INS:
            if tuple(token.low for token in tokens[pos : pos + len(lead_in)]) == lead_in:
                starts.append(pos + len(lead_in))
    found: list[tuple[list[Any] | None, int]] = []
    for start in starts:
        found.append((None, start))
        if start >= len(tokens):
            continue
        first = tokens[start]
        if first.low in TARGET_PREPOSITIONS:
            at = start + 1
        elif first.low in cursor.reserved:
            continue  # a verb, not a subject
        else:
            at = start
        for targets, end in read_targets(cursor, at):
            if end < len(tokens) and tokens[end].kind == "comma":
                end += 1
            if at == start:  # the subject: "doorbell-1 should have high priority"
                while end < len(tokens) and tokens[end].low in SUBJECT_LINKS:
                    end += 1
            found.append((targets, end))
    return found


def _tails(
    cursor: Cursor, end: int, lead: list[Any] | None, values: dict[str, Any]
) -> list[tuple[list[Any] | None, bool, int]]:
    """The targets of a clause: its phrasing's, those said before the verb, or those after
    it ("... to 3 mbit for printer-4"); a clause names them once."""
    if "targets" in values:
        targets, start = values["targets"]
        tokens = cursor.tokens
        said_last = start > 0 and tokens[start - 1].low in TARGET_PREPOSITIONS
        tail = said_last and any(
            stop == end and found is targets for found, stop in read_targets(cursor, start)
        )
        return [(targets, tail, end)]
    if lead is not None:
        return [(lead, False, end)]
    tokens = cursor.tokens
    at = end
    if at < len(tokens) and tokens[at].low in TRAFFIC_NOUNS:
        at += 1
    if at < len(tokens) and tokens[at].low in TARGET_PREPOSITIONS:
        found = [(targets, True, stop) for targets, stop in read_targets(cursor, at + 1)]
        if found:  # then nothing else can read "for X" here: no clause or time starts so
            return found
    return [(None, False, end)]


def _reading(
    cursor: Cursor,
    kind: str,
    build: Any,
    values: dict[str, Any],
    targets: list[Any] | None,
    tail: bool,
    when: tuple[Timing, Timing, int],
) -> Reading | None:
    before, after, stop = when
    try:
        timing = merge(before, after, at=stop)
        built: Built = build(values)
    except IntentError as error:
        cursor.problems.append(error)
        return None
    params, warnings = built
    return Reading(
        kind,
        None if targets is None else tuple(targets),
        params,
        timing,
        tuple(warnings),
        tail,
    )


def _finish(sentence: list[Reading]) -> tuple[list[Intent], list[str]]:
    """Targets inherited from the previous clause, defaults, ``no_target``, explanations."""
    intents: list[Intent] = []
    warnings: list[str] = []
    last = sentence[-1]
    shared = last.tail and last.targets and not any(PREVIOUS in t for t in last.targets)
    previous: list[Any] | None = list(last.targets) if shared and last.targets else None
    for reading in sentence:
        targets = list(reading.targets) if reading.targets is not None else previous
        if targets is not None and any(PREVIOUS in target for target in targets):
            if len(targets) > 1:
                raise IntentError(
                    "ambiguous",
                    "'it' / 'them' cannot be listed with other devices; name them all.",
                )
            if previous is None:
                raise IntentError(
                    "no_target",
                    "'it' / 'them' needs an earlier part of the sentence that names the devices.",
                    suggestions=EXAMPLES[reading.kind],
                )
            targets = previous
        if targets is None:
            if reading.kind in NETWORK_KINDS or "kind" in reading.params:
                targets = [{"all": True}]
            elif "intent_id" in reading.params:
                targets = []
        if not targets and "intent_id" not in reading.params:
            raise IntentError(
                "no_target",
                f"A {reading.kind.replace('_', ' ')} needs a device; name one or more "
                f"({NAME_HINT}, 'devices tagged lab').",
                suggestions=EXAMPLES[reading.kind],
            )
        assert targets is not None
        schedule = reading.timing.schedule()
        duration = reading.timing.duration_s
        params = built_params(reading.kind, reading.params)
        text = explain(
            reading.kind,
            targets,
            params,
            schedule.model_dump() if schedule else None,
            duration,
        )
        intents.append(
            Intent(
                kind=reading.kind,  # type: ignore[arg-type]
                targets=targets,
                params=params,
                schedule=schedule,
                duration_s=duration,
                explanation=text,
            )
        )
        warnings.extend(reading.warnings)
        previous = targets
    return intents, warnings


def _reads(text: str) -> bool:
    try:
        _parse(text, suggest=False)
    except IntentError:
        return False
    return True


def _failure(cursor: Cursor, *, suggest: bool) -> IntentError:
    tokens = cursor.tokens
    if cursor.problems:
        best = max(cursor.problems, key=lambda error: (_RANK.get(error.code, 0), error.at))
        if suggest:
            best.suggestions = [text for text in best.suggestions if _reads(text)]
        return best
    words = " ".join(token.raw for token in tokens)
    far = cursor.furthest
    if 0 < far < len(tokens):
        seen = " ".join(token.raw for token in tokens[:far])
        rest = " ".join(token.raw for token in tokens[far:])
        message = f"Understood '{seen}' but not what follows: '{rest}'."
    else:
        message = f"No intent recognised in '{words}'."
    suggestions: list[str] = []
    if suggest and far < len(tokens):
        shorter = " ".join(token.raw for i, token in enumerate(tokens) if i != far)
        with suppress(IntentError):
            suggestions.append(" and ".join(render(i) for i in _parse(shorter, suggest=False)[0]))
    kinds = {_PATTERNS[i][0] for i in _BY_FIRST.get(tokens[0].low, [])}
    for kind in sorted(kinds):
        suggestions.extend(EXAMPLES[kind])
    if not suggestions:
        suggestions = list(_GENERAL_EXAMPLES)
    return IntentError("no_intent", message, suggestions=suggestions[:4])
