"""Streaming evaluation of ``pattern`` and ``average`` rules over log events.

Time is the events' own ``ts_ms``: no wall clock, so replaying yesterday's logs gives the
same firings as living through them. Per rule, state is kept per key (the rendered ``key``
template) and is bounded:

- a ``pattern`` key keeps at most ``threshold`` (time, log id) pairs, trimmed to the window
  (with ``distinct``: the newest match of at most ``threshold`` different values; with
  ``changes``: only the matches that changed the value, and the last value seen);
- an ``average`` key keeps at most ``MAX_READINGS`` readings, trimmed to the window;
- at most ``MAX_KEYS`` keys per rule; past that the least recently seen key is evicted
  (with its cooldown: an evicted key can fire again early, which is the safe side).

A key fires when ``threshold`` matches (pattern) or at least ``min_count`` readings whose
average is beyond ``bound`` (average) fall within the last ``window_s`` seconds (an event
exactly ``window_s`` older than the newest one is outside). The key's readings are then
cleared and it stays silent until ``cooldown_s`` after the firing; matches inside the
cooldown still count towards the next firing.
"""

from __future__ import annotations

import re
from collections import OrderedDict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from core.rules.models import (
    AverageRule,
    Firing,
    LogEvent,
    PatternRule,
    compare,
    normalise_capture,
    render,
)

MAX_KEYS = 10_000
MAX_READINGS = 1_000
MAX_EVIDENCE = 100
"""At most this many log ids go into a firing's evidence (the newest)."""


@dataclass(slots=True)
class _KeyState:
    seen: deque[tuple[int, int | None, float]]
    quiet_until_ms: int = -(2**62)
    values: OrderedDict[str, tuple[int, int | None]] | None = None
    """``distinct`` rules: value → its newest (time, log id), oldest first."""
    last: str | None = None
    """``changes`` rules: the value of the key's previous match."""

    def count(self) -> int:
        return len(self.values) if self.values is not None else len(self.seen)

    def first_ms(self) -> int:
        if self.values is not None:
            return next(iter(self.values.values()))[0]
        return self.seen[0][0]

    def evidence(self) -> list[int]:
        pairs = self.values.values() if self.values is not None else self.seen
        return [pair[1] for pair in pairs if pair[1] is not None]

    def trim(self, horizon_ms: int) -> None:
        while self.seen and self.seen[0][0] <= horizon_ms:
            self.seen.popleft()
        values = self.values
        while values and next(iter(values.values()))[0] <= horizon_ms:
            values.popitem(last=False)

    def clear(self) -> None:
        self.seen.clear()
        if self.values is not None:
            self.values.clear()


class _RuleState:
    __slots__ = ("keys", "regex", "rule")

    def __init__(self, rule: PatternRule | AverageRule) -> None:
        self.rule = rule
        self.regex = re.compile(rule.regex)
        self.keys: OrderedDict[str, _KeyState] = OrderedDict()

    def key_state(self, key: str) -> _KeyState:
        state = self.keys.get(key)
        if state is None:
            size = self.rule.threshold if isinstance(self.rule, PatternRule) else MAX_READINGS
            state = self.keys[key] = _KeyState(seen=deque(maxlen=size))
            if isinstance(self.rule, PatternRule) and self.rule.distinct is not None:
                state.values = OrderedDict()
            if len(self.keys) > MAX_KEYS:
                self.keys.popitem(last=False)
        else:
            self.keys.move_to_end(key)
        return state


class PatternEngine:
    """Feed events in time order; get back what fired. Disabled rules are ignored."""

    def __init__(self, rules: Sequence[PatternRule | AverageRule]) -> None:
        self._states = [
            _RuleState(r) for r in rules if isinstance(r, PatternRule | AverageRule) and r.enabled
        ]

    def feed(self, event: LogEvent) -> list[Firing]:
        firings: list[Firing] = []
        for state in self._states:
            if not state.rule.selects(event):
                continue
            match = state.regex.search(event.message)
            if match is None:
                continue
            firing = self._observe(state, event, match)
            if firing is not None:
                firings.append(firing)
        return firings

    def _observe(self, state: _RuleState, event: LogEvent, match: re.Match[str]) -> Firing | None:
        rule = state.rule
        values: dict[str, Any] = {
            "host": event.host,
            "app": event.app,
            "log_class": event.log_class,
            "device_id": event.device_id,
            "source_ip": event.source_ip,
            **{k: normalise_capture(k, v) for k, v in match.groupdict().items() if v is not None},
        }
        reading = 0.0
        if isinstance(rule, AverageRule):
            try:
                reading = float(match.group("value"))
            except (TypeError, ValueError):
                return None  # the group matched something that is not a number
            if reading != reading or reading in (float("inf"), float("-inf")):
                return None
        key = render(rule.key, values)
        ks = state.key_state(key)
        if not _count(rule, ks, event, values, reading):
            return None
        ks.trim(event.ts_ms - rule.window_s * 1000)
        if event.ts_ms < ks.quiet_until_ms:
            return None
        if isinstance(rule, PatternRule):
            if ks.count() < rule.threshold:
                return None
            average = None
        else:
            if len(ks.seen) < rule.min_count:
                return None
            average = sum(r for _, _, r in ks.seen) / len(ks.seen)
            if not compare(average, rule.op, rule.bound):
                return None
        firing = _firing(rule, event, key, ks, values, average)
        ks.clear()
        ks.quiet_until_ms = event.ts_ms + rule.cooldown_s * 1000
        return firing


def _count(
    rule: PatternRule | AverageRule,
    ks: _KeyState,
    event: LogEvent,
    values: dict[str, Any],
    reading: float,
) -> bool:
    """Record a match in the key's state; False when it does not count (a ``changes``
    rule's value that did not change)."""
    if isinstance(rule, PatternRule) and rule.changes is not None:
        value = str(values.get(rule.changes))
        if value == ks.last:
            return False
        ks.last = value
    if ks.values is not None:
        assert isinstance(rule, PatternRule) and rule.distinct is not None
        value = str(values.get(rule.distinct))
        ks.values.pop(value, None)
        ks.values[value] = (event.ts_ms, event.id)
        while len(ks.values) > rule.threshold:
            ks.values.popitem(last=False)
        return True
    ks.seen.append((event.ts_ms, event.id, reading))
    return True


def _firing(
    rule: PatternRule | AverageRule,
    event: LogEvent,
    key: str,
    ks: _KeyState,
    values: dict[str, Any],
    average: float | None,
) -> Firing:
    count = ks.count()
    first_ms = ks.first_ms()
    evidence = ks.evidence()[-MAX_EVIDENCE:]
    context = {**values, "count": count, "window_s": rule.window_s, "key": key}
    details: dict[str, Any] = {
        "kind": rule.kind,
        "window_s": rule.window_s,
        "first_ms": first_ms,
        "last_message": event.message[:500],
        "captures": {k: v for k, v in values.items() if v is not None},
    }
    if average is not None:
        context["average"] = round(average, 2)
        details["average"] = average
        details["bound"] = rule.bound
        default = (
            f"{rule.name}: average {average:.1f} {rule.op} {rule.bound:g} over {count} "
            f"readings for {key} within {rule.window_s} s"
        )
    else:
        details["threshold"] = rule.threshold
        times = "time" if count == 1 else "times"
        default = f"{rule.name}: {count} {times} for {key} within {rule.window_s} s"
    summary = render(rule.summary, context) if rule.summary else default
    return Firing(
        rule_id=rule.id,
        severity=rule.severity,
        key=key,
        device_id=event.device_id,
        ts_ms=event.ts_ms,
        count=count,
        evidence=evidence,
        summary=summary,
        details=details,
    )


def replay(rules: Iterable[Any], events: Iterable[LogEvent]) -> list[Firing]:
    """What the ``pattern`` and ``average`` rules among ``rules`` would have fired over
    ``events`` (in the order given), in order. Other kinds are skipped: telemetry rules are
    replayed by evaluating them at chosen instants (``evaluate_*``)."""
    engine = PatternEngine([r for r in rules if isinstance(r, PatternRule | AverageRule)])
    out: list[Firing] = []
    for event in events:
        out.extend(engine.feed(event))
    return out
