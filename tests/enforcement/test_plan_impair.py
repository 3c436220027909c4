"""Planning impairments: a netem leaf on the device's download class, shared with a limit
for the same address, a class of its own otherwise, and a waiting reason where the kernel
has no netem or the address is already impaired."""

from __future__ import annotations

from typing import Any

from core.intents.policy import parse_spec
from core.ports import Netem, ShapeClass
from enforcement.enforcement_plan import (
    DEFAULT_PRIO,
    NO_ADDRESS_YET,
    NO_NETEM,
    PolicyView,
    minor_for,
    plan_kernel,
)

LINK = 100_000_000
ADDRESS = "192.168.1.50"


def limit(policy_id: int, direction: str, address: str | None = ADDRESS) -> PolicyView:
    """A shape policy as ``limit dev-1 to 2 mbit`` compiles it."""
    spec: dict[str, Any] = {
        "direction": direction,
        "rate_bps": 2_000_000,
        "ceil_bps": 2_000_000,
        "prio": 4,
        "burst_bytes": 25_000,
        "leaf": "fq_codel",
    }
    return PolicyView(policy_id, intent_id=1, address=address, spec=parse_spec("shape", spec))


def impair(
    policy_id: int, address: str | None = ADDRESS, *, delay: float = 100, loss: float = 0
) -> PolicyView:
    spec = {"direction": "down", "delay_ms": delay, "jitter_ms": 0, "loss_pct": loss}
    return PolicyView(policy_id, intent_id=2, address=address, spec=parse_spec("impair", spec))


def test_an_impairment_joins_the_limit_of_the_same_address() -> None:
    plan = plan_kernel([limit(1, "down"), limit(2, "up"), impair(3)], link_rate_bps=LINK)
    down, up = plan.shaping
    assert down == ShapeClass(
        minor=minor_for(1),
        address=ADDRESS,
        direction="down",
        rate_bps=2_000_000,
        ceil_bps=2_000_000,
        prio=4,
        burst_bytes=25_000,
        leaf="netem",
        netem=Netem(delay_ms=100, jitter_ms=0, loss_pct=0),
    )
    assert (up.direction, up.leaf, up.netem) == ("up", "fq_codel", None)
    assert plan.owners == {
        ("shape", minor_for(1)): 1,
        ("shape", minor_for(2)): 2,
        ("impair", minor_for(1)): 3,
    }
    assert plan.waiting == {}


def test_an_impairment_planned_before_the_limit_still_joins_it() -> None:
    plan = plan_kernel([impair(1, loss=2.5), limit(2, "down")], link_rate_bps=LINK)
    (down,) = plan.shaping
    assert (down.minor, down.rate_bps, down.leaf) == (minor_for(2), 2_000_000, "netem")
    assert down.netem == Netem(delay_ms=100, jitter_ms=0, loss_pct=2.5)
    assert plan.owners == {("shape", minor_for(2)): 2, ("impair", minor_for(2)): 1}


def test_an_impairment_alone_gets_its_own_class_at_the_link_rate() -> None:
    plan = plan_kernel([impair(7)], link_rate_bps=LINK)
    assert plan.shaping == [
        ShapeClass(
            minor=minor_for(7),
            address=ADDRESS,
            direction="down",
            rate_bps=LINK,
            ceil_bps=None,
            prio=DEFAULT_PRIO,
            burst_bytes=None,
            leaf="netem",
            netem=Netem(delay_ms=100),
        )
    ]
    assert plan.owners == {("shape", minor_for(7)): 7, ("impair", minor_for(7)): 7}


def test_an_upload_limit_is_not_where_an_impairment_goes() -> None:
    plan = plan_kernel([limit(1, "up"), impair(2)], link_rate_bps=LINK)
    up, own = plan.shaping
    assert (up.direction, up.netem) == ("up", None)
    assert (own.minor, own.direction, own.rate_bps) == (minor_for(2), "down", LINK)


def test_without_netem_an_impairment_waits_and_the_limit_is_planned_as_usual() -> None:
    plan = plan_kernel(
        [limit(1, "down"), limit(2, "up"), impair(3)], link_rate_bps=LINK, netem=False
    )
    assert plan.waiting == {3: NO_NETEM}
    assert "no netem" in NO_NETEM
    assert [(c.minor, c.leaf, c.netem) for c in plan.shaping] == [
        (minor_for(1), "fq_codel", None),
        (minor_for(2), "fq_codel", None),
    ]
    assert 3 not in plan.owners.values()
    alone = plan_kernel([impair(3)], link_rate_bps=LINK, netem=False)
    assert (alone.shaping, alone.owners, alone.waiting) == ([], {}, {3: NO_NETEM})


def test_a_second_impairment_of_the_same_address_waits() -> None:
    plan = plan_kernel([impair(1), impair(2, delay=300)], link_rate_bps=LINK)
    (only,) = plan.shaping
    assert (only.minor, only.netem) == (minor_for(1), Netem(delay_ms=100))
    assert plan.waiting == {2: f"{ADDRESS} is already impaired by policy 1"}

    with_limit = plan_kernel(
        [limit(1, "down"), impair(2), impair(3, delay=300)], link_rate_bps=LINK
    )
    (shared,) = with_limit.shaping
    assert shared.netem == Netem(delay_ms=100)
    assert with_limit.waiting == {3: f"{ADDRESS} is already impaired by policy 2"}


def test_an_impairment_needs_a_single_ipv4_address() -> None:
    plan = plan_kernel(
        [impair(1, address=None), impair(2, address="fd00::5"), impair(3, "10.0.0.0/24")],
        link_rate_bps=LINK,
    )
    assert plan.shaping == []
    assert plan.waiting == {
        1: NO_ADDRESS_YET,
        2: "fd00::5: only single IPv4 addresses are shaped so far",
        3: "10.0.0.0/24: only single IPv4 addresses are shaped so far",
    }
