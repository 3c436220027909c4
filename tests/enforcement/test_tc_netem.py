"""netem leaves (``impair`` intents): what pyroute2 sends is what ``read()`` reports back,
a kernel without netem refuses before anything changes, and where the kernel has netem a
class's delay, jitter and loss are applied, read back and changed in place."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest
from pyroute2.netlink.rtnl.tcmsg import sched_netem, tcmsg

from core.errors import EnforcementError
from core.ports import KernelFeatures, Netem, ShapeClass
from enforcement.leaf_qdisc import Leaf, leaf_of, wanted_leaf
from enforcement.probe import probe_features
from enforcement.tc import NetlinkShaper
from tests.conftest import NO_NETEM
from tests.enforcement.conftest import Lan, in_ns

LINK = 1_000_000_000
MINOR = 0x20


def _shape(address: str = "10.0.0.2", netem: Netem | None = None, **extra: Any) -> ShapeClass:
    fields: dict[str, Any] = {
        "minor": MINOR,
        "address": address,
        "direction": "down",
        "rate_bps": 2_000_000,
        "ceil_bps": 2_000_000,
        "prio": 3,
        "burst_bytes": None,
        "leaf": "netem" if netem else "pfifo",
        "netem": netem,
    }
    fields.update(extra)
    return ShapeClass(**fields)


def _dumped(leaf: Leaf) -> Any:
    """The qdisc message a kernel would dump for ``leaf``: encoded by pyroute2's netem
    plugin from the arguments the shaper passes, then decoded as a dump is."""
    msg = tcmsg()
    msg["index"], msg["handle"], msg["parent"] = 1, 0x8001_0000, 0x5744_0000 | MINOR
    options = sched_netem.get_parameters(leaf.tc_args())
    msg["attrs"] = [["TCA_KIND", leaf.kind], ["TCA_OPTIONS", options]]
    msg.encode()
    dumped = tcmsg(msg.data)
    dumped.decode()
    return dumped


@pytest.mark.parametrize(
    "netem",
    [
        Netem(delay_ms=50),
        Netem(delay_ms=100, jitter_ms=10, loss_pct=0.5),
        Netem(delay_ms=1.5, jitter_ms=0.001, loss_pct=33.3),
        Netem(loss_pct=100),
        Netem(),
    ],
)
def test_netem_parameters_read_back_as_given(netem: Netem) -> None:
    leaf = wanted_leaf(_shape(netem=netem), {"htb", "netem"})
    back = leaf_of(_dumped(leaf))
    assert back == leaf  # so apply leaves it alone
    assert back.kind == "netem"
    assert back.netem == netem


def test_a_changed_delay_is_a_different_leaf() -> None:
    qdiscs = {"htb", "netem", "fq_codel"}
    slow = wanted_leaf(_shape(netem=Netem(delay_ms=50)), qdiscs)
    assert wanted_leaf(_shape(netem=Netem(delay_ms=50.0)), qdiscs) == slow
    assert wanted_leaf(_shape(netem=Netem(delay_ms=80)), qdiscs) != slow
    assert wanted_leaf(_shape(netem=Netem(delay_ms=50, loss_pct=1)), qdiscs) != slow
    assert wanted_leaf(_shape(), qdiscs) == Leaf("fq_codel")
    assert wanted_leaf(_shape(), {"htb", "pfifo"}) == Leaf("pfifo")


def test_netem_on_a_kernel_without_it_is_refused() -> None:
    with pytest.raises(EnforcementError, match="this kernel has no netem"):
        wanted_leaf(_shape(netem=Netem(delay_ms=50)), {"htb", "pfifo", "fq_codel"})


@pytest.mark.parametrize(
    ("netem", "refusal"),
    [
        (Netem(delay_ms=-1), "delay"),
        (Netem(delay_ms=0.0004), "whole number of microseconds"),
        (Netem(jitter_ms=float("nan")), "jitter"),
        (Netem(delay_ms=10_000_000), "delay"),
        (Netem(loss_pct=101), "loss"),
    ],
)
def test_impossible_netem_parameters_are_refused(netem: Netem, refusal: str) -> None:
    with pytest.raises(EnforcementError, match=refusal):
        wanted_leaf(_shape(netem=netem), {"htb", "netem"})


def _qdiscs(ns: str) -> list[dict[str, Any]]:
    done = in_ns(ns, "tc", "-j", "qdisc", "show", "dev", "lan0")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout or "[]")


@pytest.fixture
def features(lan: Lan) -> KernelFeatures:
    return probe_features(lan.gw)


@pytest.fixture
def shaper(lan: Lan, features: KernelFeatures) -> Iterator[NetlinkShaper]:
    shaper = NetlinkShaper("lan0", link_rate_bps=LINK, netns=lan.gw, features=features)
    try:
        yield shaper
    finally:
        shaper.clear()


@pytest.mark.root
def test_without_netem_an_impairment_changes_nothing(lan: Lan, features: KernelFeatures) -> None:
    # This kernel's own answer, with netem taken out where the kernel happens to have it.
    without = dataclasses.replace(features, qdiscs=features.qdiscs - {"netem"})
    shaper = NetlinkShaper("lan0", link_rate_bps=LINK, netns=lan.gw, features=without)
    try:
        plain = _shape(lan.dev_ip, leaf="fq_codel" if "fq_codel" in without.qdiscs else "pfifo")
        shaper.apply([plain])
        before_read, before_tc = shaper.read(), _qdiscs(lan.gw)
        assert before_read == [plain]
        faster = dataclasses.replace(plain, rate_bps=5_000_000, ceil_bps=5_000_000)
        impaired = _shape(lan.dev2_ip, minor=MINOR + 1, netem=Netem(delay_ms=50))
        with pytest.raises(EnforcementError, match="this kernel has no netem"):
            shaper.apply([faster, impaired])
        assert shaper.read() == before_read
        assert _qdiscs(lan.gw) == before_tc
    finally:
        shaper.clear()


@pytest.mark.root
def test_netem_leaf_is_applied_read_back_and_changed(
    lan: Lan, shaper: NetlinkShaper, features: KernelFeatures
) -> None:
    if "netem" not in features.qdiscs:
        pytest.skip(NO_NETEM)
    impaired = _shape(lan.dev_ip, netem=Netem(delay_ms=50, jitter_ms=5, loss_pct=1))
    shaper.apply([impaired])
    shaper.apply([impaired])
    assert shaper.read() == [impaired]
    (leaf,) = [q for q in _qdiscs(lan.gw) if q["parent"] == f"5744:{MINOR:x}"]
    assert leaf["kind"] == "netem"

    slower = dataclasses.replace(impaired, netem=Netem(delay_ms=80))
    shaper.apply([slower])
    assert shaper.read() == [slower]

    plain_leaf = "fq_codel" if "fq_codel" in features.qdiscs else "pfifo"
    plain = dataclasses.replace(impaired, netem=None, leaf=plain_leaf)
    shaper.apply([plain])
    assert shaper.read() == [plain]
    (leaf,) = [q for q in _qdiscs(lan.gw) if q["parent"] == f"5744:{MINOR:x}"]
    assert leaf["kind"] == plain_leaf
