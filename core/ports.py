"""Ports: what core needs from the outside world, implemented by the workers
(``collectors``, ``enforcement``) and faked in tests only below the level a test is about."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from core.clock import Clock

__all__ = [
    "Clock",
    "ConfigPublisher",
    "Firewall",
    "FirewallRule",
    "KernelFeatures",
    "KernelFeaturesSource",
    "Netem",
    "ShapeClass",
    "TrafficShaper",
]


class ConfigPublisher(Protocol):
    """Delivers a message to devices (the MQTT collector implements it)."""

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> bool:
        """True once a broker has accepted the message; False when none could."""
        ...


@dataclass(frozen=True, slots=True)
class Netem:
    """What a netem leaf adds to the traffic of a class (``impair`` intents)."""

    delay_ms: float = 0
    jitter_ms: float = 0
    loss_pct: float = 0


@dataclass(frozen=True, slots=True)
class ShapeClass:
    """One HTB class Warden wants on the LAN interface: the traffic of one address in one
    direction ("down" = to the device, egress of the LAN interface; "up" = from it, through
    the IFB device). ``minor`` is the class id under Warden's own qdisc handle."""

    minor: int
    address: str
    direction: Literal["down", "up"]
    rate_bps: int
    ceil_bps: int | None
    """None: up to the link rate."""
    prio: int
    burst_bytes: int | None
    """None: the kernel's default for the rate."""
    leaf: str
    """``fq_codel`` or ``pfifo`` (the fallback where fq_codel is missing), or ``netem``
    when ``netem`` is set; as read back."""
    netem: Netem | None = None
    """Delay, jitter and loss added by a netem leaf instead of the queueing leaf; only
    where the kernel has netem (``KernelFeatures.qdiscs``)."""


@dataclass(frozen=True, slots=True)
class KernelFeatures:
    """What this kernel's traffic control offers, probed once (qdisc, classifier and
    action kinds, by their tc names)."""

    qdiscs: frozenset[str]
    classifiers: frozenset[str]
    actions: frozenset[str]


class KernelFeaturesSource(Protocol):
    """What this gateway's kernel can enforce, for refusing at plan time what it cannot
    (an impairment without netem). ``Core.kernel`` holds one; the composition root builds
    it from what the agent published and, failing that, a probe."""

    def features(self) -> KernelFeatures | None:
        """None when unknown (a dry run, or nothing to probe): plans are then made as for a
        full kernel."""
        ...


class TrafficShaper(Protocol):
    """tc on one LAN interface (``enforcement`` implements it through netlink)."""

    mode: str
    """``kernel``, or ``dry-run`` when nothing is really changed."""
    dry_run_reason: str | None
    """In a dry run, why Warden does not change the kernel; None when it does."""

    def features(self) -> KernelFeatures: ...

    def read(self) -> list[ShapeClass]:
        """The Warden-owned classes the interface holds now."""
        ...

    def apply(self, desired: Sequence[ShapeClass]) -> None:
        """Make Warden's classes exactly ``desired`` (creating its qdiscs on first use);
        idempotent; raises ``EnforcementError``."""
        ...

    def stats(self) -> dict[int, dict[str, Any]]:
        """Counters per class minor (``bytes``, ``packets``, ``drops``, ``overlimits``,
        ``direction``), for verification; empty in a dry run."""
        ...

    def clear(self) -> None:
        """Remove everything Warden created on the interface."""
        ...


FirewallAction = Literal["block", "internet_block", "quarantine", "allow_only"]


@dataclass(frozen=True, slots=True)
class FirewallRule:
    """What nftables must hold for one address (a device's IP or a bare address/CIDR):

    - ``block``: nothing to or from it is forwarded, and it cannot reach the gateway;
    - ``internet_block``: it keeps the LAN and the gateway, but nothing leaves through the
      WAN interface;
    - ``quarantine``: it reaches only DHCP, DNS and the MQTT broker on the gateway;
    - ``allow_only``: it reaches only ``destinations`` (ip, port or None, proto or None)."""

    address: str
    action: FirewallAction
    destinations: tuple[tuple[str, int | None, str | None], ...] = ()


class Firewall(Protocol):
    """nftables, table ``inet warden`` (``enforcement`` implements it with ``nft -j``)."""

    mode: str
    dry_run_reason: str | None
    """In a dry run, why Warden does not change the kernel; None when it does."""

    def read(self) -> list[FirewallRule]:
        """The rules the table holds now."""
        ...

    def apply(self, desired: Sequence[FirewallRule]) -> None:
        """Replace the table's contents with ``desired`` in one atomic transaction;
        raises ``EnforcementError``."""
        ...

    def counters(self) -> dict[str, dict[str, int]]:
        """Packets and bytes dropped per address (for verification)."""
        ...

    def clear(self) -> None:
        """Delete the table."""
        ...
