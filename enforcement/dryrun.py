"""Dry-run backends: the same plans, recorded and never sent to the kernel. Chosen when
Warden cannot change the kernel (no CAP_NET_ADMIN, no nft, no LAN interface set) or when
the setting says so; every front end shows the mode."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.ports import FirewallRule, KernelFeatures, ShapeClass

EVERYTHING = KernelFeatures(
    qdiscs=frozenset({"htb", "fq_codel", "pfifo", "netem", "ingress"}),
    classifiers=frozenset({"u32"}),
    actions=frozenset({"mirred"}),
)
"""A dry run plans as for a full kernel (OpenWRT's): what it records is what would apply."""


class DryRunShaper:
    mode = "dry-run"

    def __init__(self, why: str) -> None:
        self.dry_run_reason: str | None = why
        self._classes: list[ShapeClass] = []

    def features(self) -> KernelFeatures:
        return EVERYTHING

    def read(self) -> list[ShapeClass]:
        return list(self._classes)

    def apply(self, desired: Sequence[ShapeClass]) -> None:
        self._classes = sorted(desired, key=lambda c: c.minor)

    def stats(self) -> dict[int, dict[str, Any]]:
        return {}

    def clear(self) -> None:
        self._classes = []


class DryRunFirewall:
    mode = "dry-run"

    def __init__(self, why: str) -> None:
        self.dry_run_reason: str | None = why
        self._rules: list[FirewallRule] = []

    def read(self) -> list[FirewallRule]:
        return list(self._rules)

    def apply(self, desired: Sequence[FirewallRule]) -> None:
        self._rules = sorted(desired, key=lambda r: r.address)

    def counters(self) -> dict[str, dict[str, int]]:
        return {}

    def clear(self) -> None:
        self._rules = []
