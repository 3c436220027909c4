"""The upload side of shaping: traffic arriving on the LAN interface is redirected (u32
match-all on its ingress qdisc, mirred egress redirect) into the IFB device
``wd-ifb<ifindex>``, where it can be shaped like egress traffic."""

from __future__ import annotations

from typing import Any

from pyroute2 import IPRoute
from pyroute2.netlink.rtnl import TC_H_INGRESS

from enforcement.netlink_session import call
from enforcement.tc_layout import ETH_P_ALL, INGRESS, PARENT, REDIRECT_PRIO

__all__ = ["ensure_ifb", "ensure_redirect", "find_ifb", "ifb_name", "remove_ifb"]


def ifb_name(index: int) -> str:
    """The IFB device for the LAN interface with this ifindex."""
    return f"wd-ifb{index}"


def find_ifb(ipr: IPRoute, index: int) -> int | None:
    found = ipr.link_lookup(ifname=ifb_name(index))
    return int(found[0]) if found else None


def ensure_ifb(ipr: IPRoute, index: int) -> int:
    """The IFB device's ifindex, created and up."""
    name = ifb_name(index)
    found = ipr.link_lookup(ifname=name)
    if not found:
        call("creating the IFB device", name, lambda: ipr.link("add", ifname=name, kind="ifb"))
        found = ipr.link_lookup(ifname=name)
    ifb = int(found[0])
    call("bringing the IFB device up", name, lambda: ipr.link("set", index=ifb, state="up"))
    return ifb


def _redirects(ipr: IPRoute, index: int) -> tuple[bool, list[Any]]:
    """(has an ingress qdisc, its filters)."""
    has_ingress = any(
        msg["parent"] == TC_H_INGRESS and msg["index"] == index
        for msg in ipr.get_qdiscs(index=index)
    )
    filters = list(ipr.get_filters(index=index, parent=INGRESS)) if has_ingress else []
    return has_ingress, filters


def ensure_redirect(ipr: IPRoute, index: int, interface: str, ifb: int) -> None:
    has_ingress, filters = _redirects(ipr, index)
    if not has_ingress:
        call("adding an ingress qdisc", interface, lambda: ipr.tc("add", "ingress", index))
    if any(msg["info"] >> 16 == REDIRECT_PRIO for msg in filters):
        return
    call(
        "adding the redirect to the IFB device",
        interface,
        lambda: ipr.tc(
            "add-filter",
            "u32",
            index,
            parent=INGRESS,
            prio=REDIRECT_PRIO,
            protocol=ETH_P_ALL,
            target=PARENT,
            keys=["0x0/0x0+0"],
            action={"kind": "mirred", "direction": "egress", "action": "redirect", "ifindex": ifb},
        ),
    )


def remove_ifb(ipr: IPRoute, index: int, interface: str) -> None:
    """Remove the redirect, the ingress qdisc when nothing else hangs off it, and the IFB."""
    _, filters = _redirects(ipr, index)
    ours = [msg for msg in filters if msg["info"] >> 16 == REDIRECT_PRIO]
    if ours:
        info = ours[0]["info"]
        call(
            "removing the redirect to the IFB device",
            interface,
            lambda: ipr.tc("del-filter", index=index, parent=INGRESS, info=info),
        )
        _, filters = _redirects(ipr, index)
        if not filters:
            call(
                "removing the ingress qdisc",
                interface,
                lambda: ipr.tc("del", index=index, parent=TC_H_INGRESS),
            )
    ifb = find_ifb(ipr, index)
    if ifb is not None:
        call("removing the IFB device", ifb_name(index), lambda: ipr.link("del", index=ifb))
