"""Policies → the kernel state that enforces them (desired state for the reconciler). Pure.

Each live ``shape`` policy becomes one HTB class (``ShapeClass``) whose minor number comes
from the policy id, so the same policy always owns the same class across restarts (or, for
a policy that replaced one of the same device and direction, the minor it took over); each
``firewall`` policy becomes one ``FirewallRule``. An ``impair`` policy puts a netem leaf on
the device's download class: the class of a shape policy for the same address when there is
one (so a limit and an impairment hold together), else a class of its own at the link rate.

A policy that cannot be enforced yet (its device has no known address) or here (an IPv6
target where only IPv4 filters are built, no netem in this kernel) is reported with the
reason instead, and left out.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from core.intents.policy import FirewallSpec, ImpairSpec, PolicySpec, ShapeSpec
from core.ports import FirewallRule, Netem, ShapeClass

MINOR_BASE = 0x10
MINOR_SPAN = 0xFFE0
"""Class minors run from 0x10 to 0xffef; 1 is Warden's parent class, 0xfffe its default."""
MIN_RATE_BPS = 8_000
"""HTB needs a rate; a class that only sets a priority gets this guaranteed minimum."""
DEFAULT_PRIO = 4
NO_ADDRESS_YET = "waiting for the device's IP address (learned from DHCP)"
NO_NETEM = "this kernel has no netem (sch_netem), so impairments cannot be applied"


@dataclass(frozen=True, slots=True)
class PolicyView:
    """What planning needs of a stored policy."""

    id: int
    intent_id: int
    address: str | None
    """Where it applies now (a device's current address); None: not known yet."""
    spec: PolicySpec
    minor: int | None = None
    """The class minor it took over from the policy its intent replaced (a changed limit
    keeps its class, so the kernel changes one class in place); None: its own."""


@dataclass(slots=True)
class KernelPlan:
    shaping: list[ShapeClass] = field(default_factory=list)
    firewall: list[FirewallRule] = field(default_factory=list)
    owners: dict[tuple[str, int | str], int] = field(default_factory=dict)
    """(``"shape"``, minor), (``"firewall"``, address) or (``"impair"``, minor) → the
    policy id that wants it."""
    waiting: dict[int, str] = field(default_factory=dict)
    """Policy id → why it is not in the plan."""


def minor_for(policy_id: int) -> int:
    return MINOR_BASE + policy_id % MINOR_SPAN


def _single_ipv4(address: str) -> str | None:
    """The address as a plain IPv4 host, or None."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return str(ip) if ip.version == 4 else None


def plan_kernel(
    policies: Iterable[PolicyView], *, link_rate_bps: int, netem: bool = True
) -> KernelPlan:
    """``netem``: whether the kernel has netem; impairments wait with the reason if not."""
    plan = KernelPlan()
    ordered = sorted(policies, key=lambda p: p.id)
    for policy in ordered:
        match policy.spec:
            case ShapeSpec():
                _plan_shape(plan, policy, policy.spec, link_rate_bps)
            case FirewallSpec():
                _plan_firewall(plan, policy, policy.spec)
    for policy in ordered:
        if isinstance(policy.spec, ImpairSpec):
            _plan_impair(plan, policy, policy.spec, link_rate_bps, netem)
    return plan


def _plan_impair(
    plan: KernelPlan, policy: PolicyView, spec: ImpairSpec, link_rate_bps: int, netem: bool
) -> None:
    if not netem:
        plan.waiting[policy.id] = NO_NETEM
        return
    if policy.address is None:
        plan.waiting[policy.id] = NO_ADDRESS_YET
        return
    address = _single_ipv4(policy.address)
    if address is None:
        plan.waiting[policy.id] = f"{policy.address}: only single IPv4 addresses are shaped so far"
        return
    leaf = Netem(
        delay_ms=float(spec.delay_ms), jitter_ms=float(spec.jitter_ms), loss_pct=spec.loss_pct
    )
    for position, cls in enumerate(plan.shaping):
        if cls.address == address and cls.direction == "down":
            if ("impair", cls.minor) in plan.owners:
                plan.waiting[policy.id] = (
                    f"{address} is already impaired by policy {plan.owners['impair', cls.minor]}"
                )
                return
            plan.shaping[position] = dataclasses.replace(cls, leaf="netem", netem=leaf)
            plan.owners["impair", cls.minor] = policy.id
            return
    minor = minor_for(policy.id)
    if ("shape", minor) in plan.owners:
        plan.waiting[policy.id] = (
            f"class minor {minor:#x} is taken by policy {plan.owners['shape', minor]}"
        )
        return
    plan.shaping.append(
        ShapeClass(
            minor=minor,
            address=address,
            direction="down",
            rate_bps=link_rate_bps,
            ceil_bps=None,
            prio=DEFAULT_PRIO,
            burst_bytes=None,
            leaf="netem",
            netem=leaf,
        )
    )
    plan.owners["shape", minor] = plan.owners["impair", minor] = policy.id


def _plan_shape(plan: KernelPlan, policy: PolicyView, spec: ShapeSpec, link_rate_bps: int) -> None:
    if policy.address is None:
        plan.waiting[policy.id] = NO_ADDRESS_YET
        return
    address = _single_ipv4(policy.address)
    if address is None:
        plan.waiting[policy.id] = f"{policy.address}: only single IPv4 addresses are shaped so far"
        return
    minor = policy.minor if policy.minor is not None else minor_for(policy.id)
    if ("shape", minor) in plan.owners:
        plan.waiting[policy.id] = (
            f"class minor {minor:#x} is taken by policy {plan.owners['shape', minor]}"
        )
        return
    ceil = min(spec.ceil_bps, link_rate_bps) if spec.ceil_bps else None
    rate = min(spec.rate_bps or MIN_RATE_BPS, ceil or link_rate_bps)
    plan.shaping.append(
        ShapeClass(
            minor=minor,
            address=address,
            direction=spec.direction,
            rate_bps=rate,
            ceil_bps=ceil,
            prio=spec.prio,
            burst_bytes=spec.burst_bytes,
            leaf=spec.leaf or "fq_codel",
        )
    )
    plan.owners["shape", minor] = policy.id


def _plan_firewall(plan: KernelPlan, policy: PolicyView, spec: FirewallSpec) -> None:
    if spec.action == "unblock":
        return  # an unblock ends blocks when it is submitted; nothing to hold
    if policy.address is None:
        plan.waiting[policy.id] = NO_ADDRESS_YET
        return
    if ("firewall", policy.address) in plan.owners:
        plan.waiting[policy.id] = (
            f"{policy.address} already has a firewall rule from policy "
            f"{plan.owners['firewall', policy.address]}"
        )
        return
    destinations = tuple((d["ip"], d.get("port"), d.get("proto")) for d in spec.destinations)
    plan.firewall.append(FirewallRule(policy.address, spec.action, destinations))
    plan.owners["firewall", policy.address] = policy.id
