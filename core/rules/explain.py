"""Why a line does not match a rule's regex: the nearest pattern, how much of the line it
matched, and what it expected next. Pure (``re`` only), for ``warden rules test``.

A rule's regex is usually alternatives of wordings (``(?:AP-STA-POSSIBLE-PSK-MISMATCH |STA
…)``). The regex is unfolded into one pattern per wording (a group of alternatives becomes
one pattern per alternative, up to ``MAX_PATTERNS``), each pattern is cut into atoms (a
literal, a class, an escape, a group, each with its quantifier), and for each pattern the
longest run of leading atoms that still finds a match is looked for: dropping a trailing atom
never loses a match, so a binary search finds it. The nearest pattern is the one whose
leading atoms cover most of the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product

MAX_PATTERNS = 64
"""Unfolding stops (groups stay whole) once a regex would give more patterns than this."""
_QUANTIFIER = re.compile(r"(?:[*+?]|\{\d*(?:,\d*)?\})[?+]?")
_LOOKAROUND = ("(?=", "(?!", "(?<=", "(?<!")
_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


@dataclass(frozen=True, slots=True)
class Atom:
    text: str
    """As it stands in the unfolded pattern."""
    origin: str
    """As it stands in the rule's regex (a group before it was unfolded)."""


@dataclass(frozen=True, slots=True)
class NearestMiss:
    """The pattern (one wording of the regex) that came closest to matching a line."""

    pattern: str
    matched: str
    """The part of the line its leading atoms matched ('' when not even the first did)."""
    expected: str
    """The piece of the rule's regex that failed next."""
    found: str
    """The line where that piece was expected (at most 40 characters)."""
    at_end: bool = False
    """True when the wording's end matched and the piece before it failed."""

    def describe(self) -> str:
        if self.at_end:
            before = f"{self.found!r}" if self.found else "the start of the line"
            return (
                f"nearest pattern {self.pattern!r}: its end matched {self.matched!r}, but "
                f"before that it expected {self.expected!r} where the line has {before}"
            )
        if not self.matched:
            return f"nearest pattern {self.pattern!r}: its start ({self.expected!r}) does not occur"
        rest = f"{self.found!r}" if self.found else "the end of the line"
        return (
            f"nearest pattern {self.pattern!r} matched {self.matched!r}, then expected "
            f"{self.expected!r} where the line has {rest}"
        )


def atoms(pattern: str) -> list[str]:
    """``pattern`` cut into its top-level atoms, each with its quantifier."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        start = i
        char = pattern[i]
        if char == "\\":
            i += 4 if pattern.startswith("x", i + 1) else 2
        elif char == "[":
            i = _class_end(pattern, i)
        elif char == "(":
            i = _group_end(pattern, i)
        else:
            i += 1
        quantifier = _QUANTIFIER.match(pattern, i)
        if quantifier is not None and _quantifiable(pattern[start:i]):
            i = quantifier.end()
        atom = pattern[start:i]
        if out and _literal(atom) and _literal(out[-1]) and _QUANTIFIER.match(pattern, i) is None:
            out[-1] += atom  # a run of literal characters is one atom: "STA ", "802\.11"
        else:
            out.append(atom)
    return out


def _literal(atom: str) -> bool:
    """A plain character (or a run of them): matches exactly itself."""
    if atom.startswith("\\"):
        return len(atom) >= 2 and not atom[1].isalnum() and (len(atom) == 2 or _literal(atom[2:]))
    return atom[0] not in ".^$|()[]{}*+?" and (len(atom) == 1 or _literal(atom[1:]))


def _quantifiable(atom: str) -> bool:
    """Anchors, lookarounds and inline flags take no quantifier."""
    if atom in ("^", "$"):
        return False
    return not atom.startswith("(?") or atom.startswith(("(?:", "(?P<"))


def branches(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` (itself when there are none)."""
    parts: list[str] = []
    depth, start, i, n = 0, 0, 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = _class_end(pattern, i)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def unfold(pattern: str) -> list[list[Atom]]:
    """One list of atoms per wording of ``pattern``."""
    found = _unfold(pattern, budget=[MAX_PATTERNS])
    return found or [[Atom(a, a) for a in atoms(pattern)]]


def nearest_miss(regex: str, message: str) -> NearestMiss | None:
    """The nearest wording of ``regex`` to ``message``; ``None`` when ``regex`` matches."""
    if re.search(regex, message) is not None:
        return None
    return Explainer(regex).nearest(message)


class Explainer:
    """Compiled once per rule, used for many lines (``warden rules test`` over history)."""

    def __init__(self, regex: str) -> None:
        self._patterns: list[_Wording] = [_Wording(unfolded) for unfolded in unfold(regex)]

    def nearest(self, message: str) -> NearestMiss:
        """The wording whose start (or end) covers most of ``message``, and where it parts."""
        return self.score(message)[1]

    def score(self, message: str) -> tuple[tuple[int, int, int], NearestMiss]:
        """How near ``message`` comes to the nearest wording (comparable across lines:
        literal characters matched first), and how it misses it."""
        return max((w.miss(message) for w in self._patterns), key=lambda m: m[0])


class _Wording:
    """One wording: its atoms and the compiled runs of leading and trailing atoms."""

    def __init__(self, unfolded: list[Atom]) -> None:
        self.atoms = unfolded
        self.text = "".join(a.text for a in unfolded)
        n = len(unfolded)
        flags = unfolded[0].text if unfolded and _FLAGS.fullmatch(unfolded[0].text) else ""
        self.heads = [_compile(_joined(unfolded[:k])) for k in range(1, n + 1)]
        self.tails = [_compile(flags + _joined(unfolded[n - k :])) for k in range(1, n + 1)]
        self.weights = [_weight(a.text) for a in unfolded]

    def miss(self, message: str) -> tuple[tuple[int, int, int], NearestMiss]:
        """How close this wording comes (literal characters matched, then span) and how
        it misses."""
        n = len(self.atoms)
        k, (start, end) = _longest_run(self.heads, message)
        j, (t_start, t_end) = _longest_run(self.tails, message)
        if k == n or j == n:  # a lookaround made the whole fail; say so plainly
            k, j = min(k, n - 1), min(j, n - 1)
        # A wording's start is the better guide on a tie: its end is often a catch-all.
        head = (sum(self.weights[:k]), 1, end - start)
        tail = (sum(self.weights[n - j :]), 0, t_end - t_start)
        if j and tail > head:
            before = self.atoms[n - j - 1].origin
            miss = NearestMiss(
                pattern=self.text,
                matched=message[t_start:t_end],
                expected=before,
                found=message[max(0, t_start - 40) : t_start],
                at_end=True,
            )
            return tail, miss
        miss = NearestMiss(
            pattern=self.text,
            matched=message[start:end],
            expected=self.atoms[k].origin,
            found=message[end : end + 40] if k else message[:40],
        )
        return head, miss


def _weight(atom: str) -> int:
    """What matching an atom is worth: a literal run its length (it says something about
    the line), anything else 1 (a class or an optional group matches almost anything)."""
    return len(re.sub(r"\\(.)", r"\1", atom)) if _literal(atom) else 1


def _joined(run: list[Atom]) -> str:
    return "".join(a.text for a in run)


def _longest_run(
    compiled: list[re.Pattern[str] | None], message: str
) -> tuple[int, tuple[int, int]]:
    """How many atoms (of the leading or trailing runs given) still find a match, by binary
    search (a shorter run always matches where a longer one does), and the span matched."""
    low, high, span = 0, len(compiled), (0, 0)
    while low < high:
        mid = (low + high + 1) // 2
        pattern = compiled[mid - 1]
        found = pattern.search(message) if pattern is not None else None
        if found is not None:
            low, span = mid, found.span()
        else:
            high = mid - 1
    return low, span


def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:  # e.g. a backreference to a group cut off
        return None


def _unfold(pattern: str, budget: list[int]) -> list[list[Atom]]:
    out: list[list[Atom]] = []
    for branch in branches(pattern):
        choices = [_atom_choices(atom, budget) for atom in atoms(branch)]
        count = 1
        for choice in choices:
            count *= len(choice)
        if count > budget[0]:  # too many: keep this branch's groups whole
            choices = [[[Atom(atom, atom)]] for atom in atoms(branch)]
        for combo in product(*choices):
            out.append([a for part in combo for a in part])
        budget[0] = max(1, budget[0] - len(out))
    return out


def _atom_choices(atom: str, budget: list[int]) -> list[list[Atom]]:
    """The ways an atom can be spelled out: a group of alternatives gives one per
    alternative (lookarounds and quantified groups stay whole)."""
    if not atom.startswith("(") or atom.startswith(_LOOKAROUND) or not atom.endswith(")"):
        return [[Atom(atom, atom)]]
    opening = re.match(r"\((?:\?:|\?P<\w+>|\?[aiLmsux]+:)?", atom)
    assert opening is not None
    inner = atom[opening.end() : -1]
    if opening.group() == "(?:":  # a plain group: its atoms stand in line with the rest
        unfolded = _unfold(inner, budget) or [[]]
        if len(branches(inner)) == 1:
            return unfolded
        # Name the innermost group of alternatives an atom comes from (set once, deepest first).
        return [
            [Atom(a.text, atom if a.origin == a.text else a.origin) for a in wording]
            for wording in unfolded
        ]
    if len(branches(inner)) == 1:
        return [[Atom(atom, atom)]]
    spelled = []
    for branch in branches(inner):
        for inner_atoms in _unfold(branch, budget) or [[]]:
            text = opening.group() + "".join(a.text for a in inner_atoms) + ")"
            spelled.append([Atom(text, atom)])
    return spelled


def _class_end(pattern: str, i: int) -> int:
    j = i + 1
    if pattern.startswith("^", j):
        j += 1
    if pattern.startswith("]", j):
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j + 1


def _group_end(pattern: str, i: int) -> int:
    depth, j, n = 0, i, len(pattern)
    while j < n:
        char = pattern[j]
        if char == "\\":
            j += 2
            continue
        if char == "[":
            j = _class_end(pattern, j)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return n
