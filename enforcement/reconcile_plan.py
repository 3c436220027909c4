"""One reconcile pass, planned. Pure: the live network policies and what the kernel holds
(read once by the reconciler) → the kernel state to apply (``enforcement_plan``), whether
the kernel differs from it at all, the drift, and how the pass leaves each policy.

Drift is what changed under a policy Warden had already applied (a class deleted or edited
by hand, a rule gone); a new policy's class is not drift, nor is the leftover of a revoked
one, which the apply removes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from core.models import PolicyState, PolicyStatus
from core.ports import FirewallRule, ShapeClass
from enforcement.enforcement_plan import KernelPlan, PolicyView, plan_kernel

RATE_TOLERANCE = 0.01
"""Kernel rates are stored in bytes per second and rounded; 1 % covers it."""


@dataclass(frozen=True, slots=True)
class KernelSnapshot:
    """What the backends held at the start of a pass."""

    shaping: Sequence[ShapeClass] = ()
    firewall: Sequence[FirewallRule] = ()
    unreadable: str | None = None
    """Why the kernel could not be read (then everything is taken to differ)."""


@dataclass(slots=True)
class PassPlan:
    kernel: KernelPlan
    differs: bool
    """Whether the kernel differs from the plan at all (a steady kernel is left alone)."""
    drift: list[str] = field(default_factory=list)
    shaping_differs: bool = True
    """Whether the shaping differs (a backend that holds its part is left alone)."""
    firewall_differs: bool = True


def plan_pass(
    policies: Iterable[PolicyView],
    snapshot: KernelSnapshot,
    *,
    applied: Collection[int],
    link_rate_bps: int,
    netem: bool = True,
) -> PassPlan:
    """``applied``: the ids of the policies applied before this pass (their changes are
    drift); ``netem``: whether the kernel has netem."""
    kernel = plan_kernel(policies, link_rate_bps=link_rate_bps, netem=netem)
    if snapshot.unreadable is not None:
        return PassPlan(kernel, True, [f"cannot read the kernel state: {snapshot.unreadable}"])
    actual = {c.minor: c for c in snapshot.shaping}
    actual_fw = set(snapshot.firewall)

    def held_before(*keys: tuple[str, int | str]) -> bool:
        return any(kernel.owners.get(key) in applied for key in keys)

    shaping = False
    drift = []
    for wanted in kernel.shaping:
        have = actual.pop(wanted.minor, None)
        if have is not None and same_class(wanted, have, link_rate_bps):
            continue
        shaping = True
        if held_before(("shape", wanted.minor), ("impair", wanted.minor)):
            what = "missing" if have is None else "changed"
            drift.append(f"class {wanted.minor:#x} for {wanted.address} {what}")
    shaping |= bool(actual)
    wanted_fw = set(kernel.firewall)
    firewall = wanted_fw != actual_fw
    for rule in wanted_fw - actual_fw:
        if held_before(("firewall", rule.address)):
            drift.append(f"firewall {rule.action} {rule.address} missing")
    return PassPlan(kernel, shaping or firewall, drift, shaping, firewall)


def policy_states(
    kernel: KernelPlan,
    policy_ids: Iterable[int],
    *,
    failed: Mapping[int, str],
    waiting: Mapping[int, str],
    applied_ok: bool,
    dry_run: Mapping[str, str] | None = None,
) -> dict[int, PolicyState]:
    """How the pass leaves each planned policy: ``applied`` with what the kernel holds for
    it (when the plan was applied: ``applied_ok``), ``dry_run`` with what it would hold when
    its backend is a dry run (``dry_run``: backend ``tc`` or ``nft`` → why), ``failed`` with
    the kernel's reason, or ``pending`` with why it waits."""
    dry_run = dry_run or {}
    held: dict[int, tuple[str, dict[str, Any]]] = {}
    if applied_ok:
        for cls in kernel.shaping:
            held[kernel.owners["shape", cls.minor]] = ("tc", asdict(cls))
            if ("impair", cls.minor) in kernel.owners:
                held[kernel.owners["impair", cls.minor]] = ("tc", asdict(cls))
        for rule in kernel.firewall:
            held[kernel.owners["firewall", rule.address]] = ("nft", asdict(rule))
    states = {}
    for policy_id in policy_ids:
        if policy_id in held:
            backend, holds = held[policy_id]
            if backend in dry_run:
                states[policy_id] = PolicyState(
                    status=PolicyStatus.DRY_RUN,
                    error=f"dry run: {dry_run[backend]}",
                    applied=holds,
                )
            else:
                states[policy_id] = PolicyState(status=PolicyStatus.APPLIED, applied=holds)
        elif policy_id in failed:
            states[policy_id] = PolicyState(status=PolicyStatus.FAILED, error=failed[policy_id])
        else:
            states[policy_id] = PolicyState(
                status=PolicyStatus.PENDING, error=waiting.get(policy_id)
            )
    return states


def same_class(desired: ShapeClass, actual: ShapeClass, link_rate_bps: int) -> bool:
    """Whether the kernel's class enforces ``desired`` (rates within rounding; a burst or
    leaf left to the backend is not compared)."""

    def close(a: int, b: int) -> bool:
        return abs(a - b) <= max(a, b) * RATE_TOLERANCE

    return (
        (desired.minor, desired.address, desired.direction, desired.prio)
        == (actual.minor, actual.address, actual.direction, actual.prio)
        and close(desired.rate_bps, actual.rate_bps)
        and close(desired.ceil_bps or link_rate_bps, actual.ceil_bps or link_rate_bps)
        and _same_netem(desired, actual)
    )


def _same_netem(desired: ShapeClass, actual: ShapeClass) -> bool:
    """Netem times are kept in microseconds (or ticks) by the kernel: compare to 0.1 ms."""
    if desired.netem is None or actual.netem is None:
        return desired.netem is actual.netem
    want, have = asdict(desired.netem), asdict(actual.netem)
    return all(abs(want[k] - have[k]) < 0.1 for k in want)
