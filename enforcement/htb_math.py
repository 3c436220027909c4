"""HTB parameters as the kernel keeps them: rates in bytes per second, bursts as transmit
time in scheduler ticks, computed like ``tc`` does. Pure functions."""

from __future__ import annotations

import math
from dataclasses import dataclass

from pyroute2.netlink.rtnl.tcmsg.common import calc_xmittime, tick_in_usec

from enforcement.tc_layout import MTU

__all__ = ["HtbParams", "burst_as_read", "burst_from_ticks", "default_burst", "quantum", "ticks"]


def default_burst(rate_bps: int) -> int:
    """The burst (bytes) a class gets when none is given: 1 ms at the rate plus one
    MTU-sized packet, as ``tc`` computes it."""
    return rate_bps // 8 // 1000 + MTU


def ticks(rate_bytes: int, burst_bytes: int) -> int:
    """The scheduler ticks it takes to send ``burst_bytes`` at ``rate_bytes`` per second."""
    return int(calc_xmittime(rate_bytes, burst_bytes))


def burst_from_ticks(rate_bytes: int, buffer_ticks: int) -> int:
    """The smallest byte count that ``ticks`` maps to ``buffer_ticks`` at this rate."""
    usec = math.ceil(buffer_ticks / tick_in_usec - 1e-9)
    burst = math.ceil(usec * rate_bytes / 1_000_000 - 1e-9)
    while burst > 0 and ticks(rate_bytes, burst - 1) == buffer_ticks:
        burst -= 1
    while ticks(rate_bytes, burst) < buffer_ticks:
        burst += 1
    return burst


def quantum(rate_bytes: int) -> int:
    """Bytes a class may send per round: a tenth of a second's worth, within MTU..200 kB."""
    return min(max(rate_bytes // 10, MTU), 200_000)


@dataclass(frozen=True, slots=True)
class HtbParams:
    """An HTB class as the kernel holds it (bytes/s and ticks)."""

    rate: int
    ceil: int
    buffer: int
    prio: int

    @classmethod
    def wanted(
        cls, rate_bps: int, ceil_bps: int | None, prio: int, burst: int | None, *, link_bps: int
    ) -> HtbParams:
        """The kernel's form of a class asked for in bit/s (``None``: the link / default)."""
        rate = rate_bps // 8
        burst = burst if burst is not None else default_burst(rate * 8)
        ceil = (ceil_bps if ceil_bps is not None else link_bps) // 8
        return cls(rate, ceil, ticks(rate, burst), prio)


def burst_as_read(params: HtbParams, remembered: int | None) -> int | None:
    """The burst ``read()`` reports (see the rounding notes in ``enforcement.tc``): None
    for the default, the burst this shaper applied when it maps to the same ticks, else the
    smallest byte count with those ticks."""
    if params.buffer == ticks(params.rate, default_burst(params.rate * 8)):
        return None
    if remembered is not None and ticks(params.rate, remembered) == params.buffer:
        return remembered
    return burst_from_ticks(params.rate, params.buffer)
