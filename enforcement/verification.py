"""Judging a policy's check (``core.intents.policy`` describes the checks) against what was
measured. Pure.

A measure is a value, or one of three reasons it is not: ``Unknown`` (nothing could be
measured this time: a dry run, no reports since the ack yet), ``Broken`` (what the check
needs is missing, e.g. the class was deleted or the device refused: a violation), or
``Unobservable`` (Warden has no way to measure it at all, e.g. a device's sampling
cadence; such a part is left out of an ``all`` check and named in the reason).

Tolerances: an upper bound (``<=``) holds up to 5 % over (counter sampling and HTB's burst
let a limited class run a little over its rate for a moment) and is ``degraded`` up to
15 % over; an approximate value (``~=``) holds within its ``tolerance_pct`` and is
``degraded`` within 2.5 times that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.models import Verdict

UPPER_OK = 0.05
UPPER_DEGRADED = 0.15
APPROX_DEGRADED_FACTOR = 2.5


@dataclass(frozen=True, slots=True)
class Unknown:
    reason: str


@dataclass(frozen=True, slots=True)
class Broken:
    reason: str


@dataclass(frozen=True, slots=True)
class Unobservable:
    reason: str


Measure = Any
"""A measured value, or ``Unknown`` / ``Broken`` / ``Unobservable``."""


@dataclass(frozen=True, slots=True)
class Outcome:
    verdict: Verdict
    reason: str
    measured: dict[str, Any] = field(default_factory=dict)


def _plain(value: Any) -> Any:
    if isinstance(value, Unknown | Broken | Unobservable):
        return None
    return value


def judge(check: Mapping[str, Any], measures: Mapping[str, Measure]) -> Outcome:
    if "all" in check:
        return _all([judge(part, measures) for part in check["all"]], check, measures)
    name = check["measure"]
    measured = measures.get(name, Unobservable(f"Warden cannot measure {name}"))
    record = {name: _plain(measured)}
    if isinstance(measured, Unobservable):
        return Outcome(Verdict.UNVERIFIABLE, measured.reason, {"unobservable": [name]})
    if isinstance(measured, Unknown):
        return Outcome(Verdict.UNVERIFIABLE, measured.reason, record)
    if isinstance(measured, Broken):
        return Outcome(Verdict.VIOLATED, measured.reason, record)
    verdict, reason = _compare(check, measured)
    return Outcome(verdict, reason, record)


def _all(parts: list[Outcome], check: Mapping[str, Any], measures: Mapping[str, Any]) -> Outcome:
    measured: dict[str, Any] = {}
    for part in parts:
        measured.update({k: v for k, v in part.measured.items() if k != "unobservable"})
    unobservable = [
        p
        for p in check["all"]
        if p["measure"] not in measures or isinstance(measures[p["measure"]], Unobservable)
    ]
    counted = [o for o, p in zip(parts, check["all"], strict=True) if p not in unobservable]
    if not counted:
        return Outcome(Verdict.UNVERIFIABLE, "; ".join(o.reason for o in parts), measured)
    worst = max(counted, key=lambda o: o.verdict.rank)
    reason = worst.reason
    if unobservable:
        names = ", ".join(p["measure"] for p in unobservable)
        reason += f" (not measured: {names})"
    return Outcome(worst.verdict, reason, measured)


def _compare(check: Mapping[str, Any], measured: Any) -> tuple[Verdict, str]:
    name, op, target = check["measure"], check["op"], check["value"]
    if op == "<=":
        over = (measured - target) / target if target else float(measured > 0)
        text = f"{name} {measured:g} against at most {target:g}"
        if over <= UPPER_OK:
            return Verdict.SATISFIED, text
        if over <= UPPER_DEGRADED:
            return Verdict.DEGRADED, f"{text} ({over:.0%} over)"
        return Verdict.VIOLATED, f"{text} ({over:.0%} over)"
    if op == "~=":
        tolerance = check.get("tolerance_pct", 10) / 100
        off = abs(measured - target) / target if target else abs(measured)
        text = f"{name} {measured:g} against {target:g} ± {tolerance:.0%}"
        if off <= tolerance:
            return Verdict.SATISFIED, text
        if off <= tolerance * APPROX_DEGRADED_FACTOR:
            return Verdict.DEGRADED, f"{text} ({off:.0%} off)"
        return Verdict.VIOLATED, f"{text} ({off:.0%} off)"
    if measured == target:
        return Verdict.SATISFIED, f"{name} is {target!r}"
    return Verdict.VIOLATED, f"{name} is {measured!r}, wanted {target!r}"


def worst(outcomes: list[Outcome]) -> Outcome:
    """The outcome that decides an intent: its worst policy's."""
    if not outcomes:
        return Outcome(Verdict.UNVERIFIABLE, "nothing to check")
    return max(outcomes, key=lambda o: o.verdict.rank)
