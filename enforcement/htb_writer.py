"""Changing Warden's HTB objects on one device: the root qdisc, classes, leaf qdiscs and
u32 filters. Every request is a ``replace`` or an idempotent delete where netlink allows."""

from __future__ import annotations

import errno

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.rtnl import TC_H_ROOT

from core.errors import EnforcementError
from enforcement.htb_math import HtbParams, burst_from_ticks, default_burst, quantum
from enforcement.htb_reader import owned, root_of
from enforcement.leaf_qdisc import Leaf
from enforcement.netlink_session import call
from enforcement.tc_layout import DEFAULT_MINOR, ETH_P_IP, ETH_P_IPV6, ROOT, class_id
from enforcement.u32_match import Match, filter_info

__all__ = [
    "add_filter",
    "delete_class",
    "delete_filter",
    "ensure_root",
    "put_class",
    "put_leaf",
    "remove_root",
]


def ensure_root(ipr: IPRoute, device: int, name: str) -> None:
    """Warden's root HTB on the device, replacing only the kernel's default root qdisc."""
    root = root_of(ipr, device)
    if root is not None and root[0] == "htb" and root[1] == ROOT:
        return
    if root is not None and root[1] != 0:
        kind, handle = root
        raise EnforcementError(
            f"{name} has a root qdisc Warden did not create ({kind} {handle >> 16:x}:),"
            " refusing to replace it"
        )
    call(
        "creating Warden's root HTB qdisc",
        name,
        lambda: ipr.tc("replace", "htb", device, ROOT, default=DEFAULT_MINOR),
    )


def remove_root(ipr: IPRoute, device: int, name: str) -> None:
    if owned(ipr, device):
        call(
            "removing Warden's root HTB qdisc",
            name,
            lambda: ipr.tc("del", index=device, parent=TC_H_ROOT, handle=ROOT),
        )


def put_class(ipr: IPRoute, device: int, name: str, minor: int, parent: int, p: HtbParams) -> None:
    burst = burst_from_ticks(p.rate, p.buffer)
    call(
        f"setting HTB class {class_id(minor)}",
        name,
        lambda: ipr.tc(
            "replace-class",
            "htb",
            device,
            ROOT | minor,
            parent=parent,
            rate=p.rate,
            ceil=p.ceil,
            burst=burst,
            cburst=default_burst(p.ceil * 8),
            prio=p.prio,
            quantum=quantum(p.rate),
        ),
    )


def delete_class(ipr: IPRoute, device: int, name: str, minor: int) -> None:
    call(
        f"deleting HTB class {class_id(minor)}",
        name,
        lambda: ipr.tc("del-class", index=device, handle=ROOT | minor),
    )


def put_leaf(ipr: IPRoute, device: int, name: str, minor: int, leaf: Leaf) -> None:
    call(
        f"setting the {leaf.kind} leaf of class {class_id(minor)}",
        name,
        lambda: ipr.tc("replace", leaf.kind, device, 0, parent=ROOT | minor, **leaf.tc_args()),
    )


def add_filter(ipr: IPRoute, device: int, name: str, minor: int, m: Match) -> None:
    call(
        f"adding the u32 filter of class {class_id(minor)}",
        name,
        lambda: ipr.tc(
            "add-filter",
            "u32",
            device,
            parent=ROOT,
            prio=minor,
            protocol=m.protocol,
            target=ROOT | minor,
            keys=m.tc_keys(),
        ),
    )


def delete_filter(ipr: IPRoute, device: int, name: str, minor: int, match: Match | None) -> None:
    """Remove the class's filter, found by (parent, prio, protocol); both protocols when the
    match is unknown; a filter already gone is fine."""
    protocols = [match.protocol] if match else [ETH_P_IP, ETH_P_IPV6]
    for protocol in protocols:
        try:
            ipr.tc("del-filter", index=device, parent=ROOT, info=filter_info(minor, protocol))
        except NetlinkError as exc:
            if exc.code != errno.ENOENT:
                raise EnforcementError(
                    f"deleting the u32 filter of class {class_id(minor)} on {name}"
                    f" failed: netlink error {exc.code}"
                ) from exc
