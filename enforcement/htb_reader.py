"""Reading Warden's HTB classes on one device back from the kernel: their parameters,
counters, leaf qdiscs and u32 matches."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from pyroute2 import IPRoute
from pyroute2.netlink.rtnl import TC_H_INGRESS, TC_H_ROOT

from enforcement.htb_math import HtbParams
from enforcement.leaf_qdisc import Leaf, leaf_of
from enforcement.tc_layout import MAX_MINOR, MIN_MINOR, ROOT, WARDEN_MAJOR
from enforcement.u32_match import Match, u32_keys

__all__ = ["ActualClass", "DeviceDump", "classes_of", "dump", "owned", "read_classes", "root_of"]


@dataclass(frozen=True, slots=True)
class ActualClass:
    """One Warden class as the kernel holds it."""

    params: HtbParams
    match: Match | None
    leaf: Leaf | None
    stats: dict[str, int]


@dataclass(frozen=True, slots=True)
class DeviceDump:
    """One device's qdiscs, classes and root filters, dumped once (three netlink dumps), so
    a pass can plan and apply from the same read."""

    device: int
    qdiscs: tuple[Any, ...]
    classes: tuple[Any, ...]
    filters: tuple[Any, ...]

    @property
    def root(self) -> tuple[str, int] | None:
        for msg in self.qdiscs:
            if msg["parent"] == TC_H_ROOT and msg["index"] == self.device:
                return msg.get_attr("TCA_KIND"), msg["handle"]
        return None

    @property
    def owned(self) -> bool:
        root = self.root
        return root is not None and root[0] == "htb" and root[1] == ROOT

    @property
    def has_ingress(self) -> bool:
        return any(
            msg["parent"] == TC_H_INGRESS and msg["index"] == self.device for msg in self.qdiscs
        )


def dump(ipr: IPRoute, device: int) -> DeviceDump:
    """The device's qdiscs and classes, and the filters on Warden's root when it is
    Warden's (as of now)."""
    qdiscs = tuple(ipr.get_qdiscs(index=device))
    partial = DeviceDump(device, qdiscs, (), ())
    if not partial.owned:
        return partial
    return DeviceDump(
        device,
        qdiscs,
        tuple(ipr.get_classes(index=device)),
        tuple(ipr.get_filters(index=device, parent=ROOT)),
    )


def root_of(ipr: IPRoute, device: int) -> tuple[str, int] | None:
    """(kind, handle) of the device's root qdisc, or None when there is none."""
    return DeviceDump(device, tuple(ipr.get_qdiscs(index=device)), (), ()).root


def owned(ipr: IPRoute, device: int) -> bool:
    """Whether the device's root qdisc is Warden's HTB."""
    root = root_of(ipr, device)
    return root is not None and root[0] == "htb" and root[1] == ROOT


def read_classes(ipr: IPRoute, device: int) -> dict[int, ActualClass]:
    """Warden's classes on ``device`` by minor (none when the root is not Warden's)."""
    return classes_of(dump(ipr, device))


def classes_of(dumped: DeviceDump) -> dict[int, ActualClass]:
    """Warden's classes in a dump, by minor (none when the root is not Warden's)."""
    if not dumped.owned:
        return {}
    device = dumped.device
    params: dict[int, HtbParams] = {}
    stats: dict[int, dict[str, int]] = {}
    for msg in dumped.classes:
        minor = msg["handle"] & 0xFFFF
        if msg["handle"] >> 16 != WARDEN_MAJOR or not MIN_MINOR <= minor <= MAX_MINOR:
            continue
        options = msg.get_attr("TCA_OPTIONS")
        parms = options.get_attr("TCA_HTB_PARMS")
        rate = options.get_attr("TCA_HTB_RATE64") or parms["rate"]
        ceil = options.get_attr("TCA_HTB_CEIL64") or parms["ceil"]
        params[minor] = HtbParams(rate, ceil, parms["buffer"], parms["prio"])
        stats2 = msg.get_attr("TCA_STATS2")
        basic = stats2.get_attr("TCA_STATS_BASIC") if stats2 else None
        queue = stats2.get_attr("TCA_STATS_QUEUE") if stats2 else None
        stats[minor] = {
            "bytes": basic["bytes"] if basic else 0,
            "packets": basic["packets"] if basic else 0,
            "drops": queue["drops"] if queue else 0,
            "overlimits": queue["overlimits"] if queue else 0,
        }
    leaves = {
        msg["parent"] & 0xFFFF: leaf_of(msg)
        for msg in dumped.qdiscs
        if msg["index"] == device and msg["parent"] >> 16 == WARDEN_MAJOR
    }
    matches: dict[int, Match] = {}
    for msg in dumped.filters:
        options = msg.get_attr("TCA_OPTIONS")
        if msg.get_attr("TCA_KIND") != "u32" or options is None:
            continue
        classid = options.get_attr("TCA_U32_CLASSID")
        selector = options.get_attr("TCA_U32_SEL")
        if classid is None or selector is None or classid >> 16 != WARDEN_MAJOR:
            continue
        protocol = socket.ntohs(msg["info"] & 0xFFFF)
        matches[classid & 0xFFFF] = Match(protocol, u32_keys(selector))
    return {
        minor: ActualClass(p, matches.get(minor), leaves.get(minor), stats[minor])
        for minor, p in params.items()
    }
