"""The reconciler's planner, without a kernel or a database: a steady kernel is left alone,
a class deleted or edited under an applied policy is drift, a new or a leftover class only
makes the kernel differ, an unreadable kernel differs everywhere, and each planned policy
is left applied (with what the kernel holds), failed or waiting."""

from __future__ import annotations

import dataclasses

from core.intents.policy import parse_spec
from core.models import PolicyState, PolicyStatus
from core.ports import FirewallRule, ShapeClass
from enforcement.enforcement_plan import NO_ADDRESS_YET, PolicyView, minor_for
from enforcement.reconcile_plan import KernelSnapshot, plan_pass, policy_states, same_class

LINK = 100_000_000
CAM = "192.168.1.52"


def limit(policy_id: int, address: str | None = CAM) -> PolicyView:
    spec = {
        "direction": "down",
        "rate_bps": 2_000_000,
        "ceil_bps": 2_000_000,
        "prio": 4,
        "burst_bytes": 2500,
        "leaf": "fq_codel",
    }
    return PolicyView(
        policy_id, intent_id=policy_id, address=address, spec=parse_spec("shape", spec)
    )


def block(policy_id: int, address: str = CAM) -> PolicyView:
    spec = parse_spec("firewall", {"action": "block", "destinations": []})
    return PolicyView(policy_id, intent_id=policy_id, address=address, spec=spec)


def held(*policies: PolicyView) -> KernelSnapshot:
    """The kernel holding exactly what ``policies`` plan."""
    planned = plan_pass(policies, KernelSnapshot(), applied=(), link_rate_bps=LINK).kernel
    return KernelSnapshot(planned.shaping, planned.firewall)


def test_a_kernel_that_holds_the_plan_is_left_alone() -> None:
    policies = [limit(1), block(2, "10.0.0.9")]
    planned = plan_pass(policies, held(*policies), applied={1, 2}, link_rate_bps=LINK)
    assert (planned.differs, planned.drift) == (False, [])


def test_an_empty_kernel_is_drift_only_for_what_was_applied_before() -> None:
    policies = [limit(1), block(2, "10.0.0.9")]
    planned = plan_pass(policies, KernelSnapshot(), applied={1}, link_rate_bps=LINK)
    assert planned.differs
    assert planned.drift == [f"class {minor_for(1):#x} for {CAM} missing"]
    new_only = plan_pass(policies, KernelSnapshot(), applied=(), link_rate_bps=LINK)
    assert (new_only.differs, new_only.drift) == (True, [])


def test_a_class_edited_by_hand_is_drift_and_a_rule_gone_too() -> None:
    policies = [limit(1), block(2, "10.0.0.9")]
    kernel = held(*policies)
    (cls,) = kernel.shaping
    edited = KernelSnapshot([dataclasses.replace(cls, rate_bps=5_000_000)], [])
    planned = plan_pass(policies, edited, applied={1, 2}, link_rate_bps=LINK)
    assert planned.drift == [
        f"class {minor_for(1):#x} for {CAM} changed",
        "firewall block 10.0.0.9 missing",
    ]


def test_rounding_of_kernel_rates_is_not_drift() -> None:
    (cls,) = held(limit(1)).shaping
    assert same_class(cls, dataclasses.replace(cls, rate_bps=cls.rate_bps + 1000), LINK)
    assert not same_class(cls, dataclasses.replace(cls, rate_bps=2_100_000), LINK)
    assert same_class(cls, dataclasses.replace(cls, ceil_bps=None), 2_000_000)  # the link


def test_a_leftover_of_a_revoked_policy_makes_the_kernel_differ_but_is_no_drift() -> None:
    leftover = held(limit(1), block(2, "10.0.0.9"))
    planned = plan_pass([], leftover, applied=(), link_rate_bps=LINK)
    assert (planned.differs, planned.drift) == (True, [])
    assert (planned.kernel.shaping, planned.kernel.firewall) == ([], [])


def test_an_unreadable_kernel_differs_and_says_why() -> None:
    planned = plan_pass(
        [limit(1)],
        KernelSnapshot(unreadable="netlink: permission denied"),
        applied={1},
        link_rate_bps=LINK,
    )
    assert planned.differs
    assert planned.drift == ["cannot read the kernel state: netlink: permission denied"]


def test_each_planned_policy_is_left_applied_failed_or_waiting() -> None:
    """Policy 4's intent was new and the kernel refused it: the retried plan is without it."""
    kernel = plan_pass(
        [limit(1), block(2, "10.0.0.9"), limit(3, address=None)],
        KernelSnapshot(),
        applied=(),
        link_rate_bps=LINK,
    ).kernel
    states = policy_states(
        kernel, [1, 2, 3, 4], failed={4: "busy"}, waiting=kernel.waiting, applied_ok=True
    )
    (cls,) = kernel.shaping
    (rule,) = kernel.firewall
    assert states == {
        1: PolicyState(status=PolicyStatus.APPLIED, applied=dataclasses.asdict(cls)),
        2: PolicyState(status=PolicyStatus.APPLIED, applied=dataclasses.asdict(rule)),
        3: PolicyState(status=PolicyStatus.PENDING, error=NO_ADDRESS_YET),
        4: PolicyState(status=PolicyStatus.FAILED, error="busy"),
    }
    assert rule == FirewallRule("10.0.0.9", "block")
    nothing_applied = policy_states(
        kernel, [1, 4], failed={4: "busy"}, waiting={}, applied_ok=False
    )
    assert nothing_applied == {
        1: PolicyState(status=PolicyStatus.PENDING),
        4: PolicyState(status=PolicyStatus.FAILED, error="busy"),
    }


def test_a_shape_class_is_what_the_policy_spec_says() -> None:
    (cls,) = held(limit(7)).shaping
    assert cls == ShapeClass(
        minor=minor_for(7),
        address=CAM,
        direction="down",
        rate_bps=2_000_000,
        ceil_bps=2_000_000,
        prio=4,
        burst_bytes=2500,
        leaf="fq_codel",
    )
