"""The qdisc under each Warden class: fq_codel (or pfifo where the kernel lacks it), or
netem where the class carries ``Netem`` impairments. Pure: which leaf a class wants, how
pyroute2 is asked for it, and what a dumped leaf qdisc says.

netem, as pyroute2 0.9.7 encodes it (``sched_netem``): ``delay`` and ``jitter`` are given in
whole microseconds and sent as scheduler ticks (``int(us) * tick_in_usec``); ``loss`` is a
percentage sent as a share of 2**32 - 1. A dumped netem qdisc carries the same fields in its
``TCA_OPTIONS``. So a leaf is compared in the kernel's units: microseconds (ticks back to
microseconds are exact after rounding) and the 32-bit loss share.
"""

from __future__ import annotations

import math
from collections.abc import Set
from dataclasses import dataclass
from typing import Any

from pyroute2.netlink.rtnl.tcmsg.common import percent2u32, tick_in_usec

from core.errors import EnforcementError
from core.ports import Netem, ShapeClass
from enforcement.tc_layout import class_id

__all__ = ["LEAF_LIMIT", "Leaf", "leaf_of", "wanted_leaf"]

LEAF_LIMIT = 1000
"""Packets in a pfifo leaf: the kernel's default txqueuelen, as tc uses."""
_U32_MAX = 2**32 - 1
_MAX_DELAY_US = int(_U32_MAX / tick_in_usec)


@dataclass(frozen=True, slots=True)
class Leaf:
    """A leaf qdisc in the kernel's terms; equal leaves need no change."""

    kind: str
    delay_us: int = 0
    jitter_us: int = 0
    loss: int = 0
    """netem's loss as a share of 2**32 - 1."""

    @property
    def netem(self) -> Netem | None:
        if self.kind != "netem":
            return None
        return Netem(
            delay_ms=self.delay_us / 1000,
            jitter_ms=self.jitter_us / 1000,
            loss_pct=round(self.loss * 100 / _U32_MAX, 6),
        )

    def tc_args(self) -> dict[str, Any]:
        """Keyword arguments for ``IPRoute.tc`` beyond the kind."""
        if self.kind == "pfifo":
            return {"limit": LEAF_LIMIT}
        if self.kind == "netem":
            # +0.5: pyroute2's percent2u32 truncates, and this lands on ``loss`` exactly.
            loss_pct = min((self.loss + 0.5) * 100 / _U32_MAX, 100.0)
            return {"delay": self.delay_us, "jitter": self.jitter_us, "loss": loss_pct}
        return {}


def _microseconds(ms: float, what: str, shape: ShapeClass) -> int:
    us = round(ms * 1000) if math.isfinite(ms) else -1
    if us < 0 or ms < 0 or us > _MAX_DELAY_US or abs(us - ms * 1000) > 1e-6:
        raise EnforcementError(
            f"netem {what} {ms} ms of class {class_id(shape.minor)} must be a whole number of"
            f" microseconds between 0 and {_MAX_DELAY_US // 1000} ms"
        )
    return us


def wanted_leaf(shape: ShapeClass, qdiscs: Set[str]) -> Leaf:
    """The leaf ``shape`` needs on a kernel offering ``qdiscs``; raises
    ``EnforcementError`` when it asks for netem and the kernel has none, or for an
    impossible delay or loss."""
    netem = shape.netem
    if netem is None:
        return Leaf("fq_codel" if "fq_codel" in qdiscs else "pfifo")
    if "netem" not in qdiscs:
        raise EnforcementError(
            f"this kernel has no netem: class {class_id(shape.minor)} ({shape.address}) asks"
            " for delay, jitter or loss, which needs the sch_netem module"
        )
    if not 0 <= netem.loss_pct <= 100:
        raise EnforcementError(
            f"netem loss {netem.loss_pct}% of class {class_id(shape.minor)} is outside 0..100"
        )
    return Leaf(
        "netem",
        delay_us=_microseconds(netem.delay_ms, "delay", shape),
        jitter_us=_microseconds(netem.jitter_ms, "jitter", shape),
        loss=percent2u32(netem.loss_pct),
    )


def leaf_of(msg: Any) -> Leaf:
    """The leaf a dumped qdisc message describes."""
    kind = msg.get_attr("TCA_KIND") or ""
    options = msg.get_attr("TCA_OPTIONS") if kind == "netem" else None
    if options is None:
        return Leaf(kind)
    return Leaf(
        kind,
        delay_us=round(options["delay"] / tick_in_usec),
        jitter_us=round(options["jitter"] / tick_in_usec),
        loss=options["loss"],
    )
