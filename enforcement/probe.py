"""What this kernel's traffic control really offers, found by trying.

Each qdisc, classifier and action kind is created once on a veth pair inside a throwaway
network namespace, which is deleted afterwards, so the host's interfaces are never touched.
A kind counts as missing when the kernel answers with its "unknown kind" errors (ENOENT:
"Specified qdisc kind is unknown", "TC classifier not found", "Failed to load TC action
module"; EOPNOTSUPP for an unknown link kind). Any other answer, including a refusal of the
minimal parameters used here, means the kernel knows the kind.

Besides tc kinds, the result says whether the kernel has IFB devices (the link kind upload
shaping redirects into): ``"ifb"`` is listed among ``qdiscs`` because ``KernelFeatures`` has
no field for link kinds and IFB is what the ingress side of shaping needs, like a qdisc.

Nothing is cached here: the caller probes once and keeps the result.
"""

from __future__ import annotations

import errno
import secrets
import socket
from collections.abc import Callable
from typing import Any

from pyroute2 import IPRoute
from pyroute2 import netns as pyroute2_netns
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.rtnl import TC_H_INGRESS, TC_H_ROOT

from core.errors import EnforcementError
from core.ports import KernelFeatures

__all__ = ["ACTIONS", "CLASSIFIERS", "IFB", "QDISCS", "probe_features"]

QDISCS = ("htb", "tbf", "pfifo", "bfifo", "fq_codel", "netem", "sfq", "prio", "ingress", "clsact")
CLASSIFIERS = ("u32", "flower", "fw", "matchall")
ACTIONS = ("mirred", "police", "gact")
IFB = "ifb"
"""Listed in ``KernelFeatures.qdiscs`` when the kernel can create IFB devices."""

_MISSING = {errno.ENOENT, errno.EOPNOTSUPP}
_ETH_P_ALL = 0x0003
_HTB_ROOT = 0x0001_0000
_INGRESS = 0xFFFF_0000
_FILTER_PRIO = 10
_PROBE_LINK = "wdprobe0"
_PROBE_PEER = "wdprobe1"

# Minimal, valid parameters for each kind pyroute2 knows how to encode.
_QDISC_ARGS: dict[str, dict[str, Any]] = {
    "tbf": {"rate": "1mbit", "burst": 10_000, "latency": "50ms"},
    "ingress": {},
    "clsact": {},
}
_CLASSIFIER_ARGS: dict[str, dict[str, Any]] = {
    "u32": {"target": _HTB_ROOT | 1, "keys": ["0x0/0x0+0"]},
    "fw": {"target": _HTB_ROOT | 1},
    "matchall": {"target": _HTB_ROOT | 1},
}


def _offered(attempt: Callable[[], object]) -> bool:
    try:
        attempt()
    except NetlinkError as exc:
        return exc.code not in _MISSING
    return True


def _filter_info() -> int:
    """The tcmsg ``info`` field of a filter: priority in the high half, protocol in the low."""
    return (_FILTER_PRIO << 16) | socket.htons(_ETH_P_ALL)


def _probe_qdisc(ipr: IPRoute, index: int, kind: str) -> bool:
    parent = TC_H_INGRESS if kind in ("ingress", "clsact") else TC_H_ROOT

    def attempt() -> None:
        if kind in ("ingress", "clsact"):
            ipr.tc("add", kind, index)
        else:
            ipr.tc("add", kind, index, _HTB_ROOT, **_QDISC_ARGS.get(kind, {}))

    offered = _offered(attempt)
    if offered:
        # Without a kind, pyroute2 sends the parent as given (a kind would re-encode options).
        _ignore_missing(lambda: ipr.tc("del", index=index, parent=parent))
    return offered


def _probe_classifier(ipr: IPRoute, index: int, kind: str) -> bool:
    # Filters are tried on an ingress qdisc (handle ffff:). For a kind pyroute2 has no
    # plugin for (flower), it sends parent ffff:ffff, which the kernel resolves to that same
    # ingress qdisc, and takes priority and protocol from ``info``.
    offered = _offered(
        lambda: ipr.tc(
            "add-filter",
            kind,
            index,
            parent=_INGRESS,
            prio=_FILTER_PRIO,
            protocol=_ETH_P_ALL,
            info=_filter_info(),
            **_CLASSIFIER_ARGS.get(kind, {}),
        )
    )
    if offered:
        _ignore_missing(
            lambda: ipr.tc("del-filter", index=index, parent=_INGRESS, info=_filter_info())
        )
    return offered


def _probe_action(ipr: IPRoute, index: int, peer: int, kind: str) -> bool:
    action: dict[str, Any] = {
        "mirred": {"kind": "mirred", "direction": "egress", "action": "mirror", "ifindex": peer},
        "police": {"kind": "police", "rate": "1mbit", "burst": 10_000, "limit": 10_000},
        "gact": {"kind": "gact", "action": "ok"},
    }[kind]
    offered = _offered(
        lambda: ipr.tc(
            "add-filter",
            "u32",
            index,
            parent=_INGRESS,
            prio=_FILTER_PRIO,
            protocol=_ETH_P_ALL,
            target=_HTB_ROOT | 1,
            keys=["0x0/0x0+0"],
            action=action,
        )
    )
    if offered:
        _ignore_missing(
            lambda: ipr.tc("del-filter", index=index, parent=_INGRESS, info=_filter_info())
        )
    return offered


def _ignore_missing(attempt: Callable[[], object]) -> None:
    try:
        attempt()
    except NetlinkError as exc:
        if exc.code != errno.ENOENT:
            raise


def _probe_in(name: str) -> KernelFeatures:
    with IPRoute(netns=name, flags=0) as ipr:
        ipr.link("add", ifname=_PROBE_LINK, kind="veth", peer=_PROBE_PEER)
        (index,) = ipr.link_lookup(ifname=_PROBE_LINK)
        (peer,) = ipr.link_lookup(ifname=_PROBE_PEER)
        ipr.link("set", index=index, state="up")
        qdiscs = {kind for kind in QDISCS if _probe_qdisc(ipr, index, kind)}
        if _offered(lambda: ipr.link("add", ifname="wdprobeifb", kind="ifb")):
            qdiscs.add(IFB)
        classifiers: set[str] = set()
        actions: set[str] = set()
        if "ingress" in qdiscs:  # filters and actions are tried on an ingress qdisc
            ipr.tc("add", "ingress", index)
            classifiers = {kind for kind in CLASSIFIERS if _probe_classifier(ipr, index, kind)}
            if "u32" in classifiers:
                actions = {kind for kind in ACTIONS if _probe_action(ipr, index, peer, kind)}
    return KernelFeatures(
        qdiscs=frozenset(qdiscs), classifiers=frozenset(classifiers), actions=frozenset(actions)
    )


def probe_features(netns: str | None = None) -> KernelFeatures:
    """Probe the kernel's qdisc, classifier and action kinds (and IFB, see the module doc).

    ``netns`` is accepted for symmetry with the shaper and ignored but for naming:
    every network namespace shares one kernel, so the probe always runs in a fresh
    throwaway namespace. Raises ``EnforcementError`` only when the probe itself cannot run
    (no CAP_NET_ADMIN, no veth); a missing kind is an answer, not an error.
    """
    name = f"wdprobe-{netns or 'host'}-{secrets.token_hex(4)}"[:48]
    try:
        pyroute2_netns.create(name)
    except OSError as exc:
        raise EnforcementError(
            f"cannot create a throwaway network namespace to probe tc features: {exc}"
        ) from exc
    try:
        return _probe_in(name)
    except NetlinkError as exc:
        raise EnforcementError(
            f"probing tc features in namespace {name} failed: netlink error {exc.code}"
            f" ({exc.args[1] if len(exc.args) > 1 else exc})"
        ) from exc
    finally:
        pyroute2_netns.remove(name)
