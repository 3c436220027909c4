"""Kernel doubles for the tests of what sits above the kernel (the reconciler, the
verifier): they hold what they are given, in memory, and say they change the kernel. The
dry-run backends are not doubles: a dry run is recorded as one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.errors import EnforcementError
from core.ports import FirewallRule, ShapeClass
from enforcement.dryrun import EVERYTHING


class FakeShaper:
    """A kernel that holds what it is given and counts the bytes a test says went through."""

    mode = "kernel"
    dry_run_reason = None

    def __init__(self) -> None:
        self.classes: dict[int, ShapeClass] = {}
        self.sent: dict[int, int] = {}
        self.broken: str | None = None

    def features(self):
        return EVERYTHING

    def read(self) -> list[ShapeClass]:
        if self.broken:
            raise EnforcementError(self.broken)
        return sorted(self.classes.values(), key=lambda c: c.minor)

    def apply(self, desired: Sequence[ShapeClass]) -> None:
        self.classes = {c.minor: c for c in desired}
        self.sent = {m: self.sent.get(m, 0) for m in self.classes}

    def stats(self) -> dict[int, dict[str, Any]]:
        return {
            minor: {"bytes": self.sent[minor], "packets": 0, "direction": cls.direction}
            for minor, cls in self.classes.items()
        }

    def clear(self) -> None:
        self.classes, self.sent = {}, {}

    def send(self, minor: int, *, bps: float, seconds: float) -> None:
        self.sent[minor] += int(bps * seconds / 8)


class FakeFirewall:
    mode = "kernel"
    dry_run_reason = None

    def __init__(self) -> None:
        self.rules: list[FirewallRule] = []

    def read(self) -> list[FirewallRule]:
        return list(self.rules)

    def apply(self, desired: Sequence[FirewallRule]) -> None:
        self.rules = list(desired)

    def counters(self) -> dict[str, dict[str, int]]:
        return {}

    def clear(self) -> None:
        self.rules = []
