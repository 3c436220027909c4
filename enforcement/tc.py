"""HTB shaping on one LAN interface through netlink (pyroute2): the kernel ``TrafficShaper``.

Layout, on each shaped device (the LAN interface for "down", its IFB for "up")::

    root qdisc  htb 5744:  default fffe              Warden's major 0x5744 ("WD")
      class 5744:1      rate = ceil = link rate       parent of everything
        class 5744:fffe rate = link/10, ceil = link, prio 7     unmatched traffic
        class 5744:<m>  one per ShapeClass (minor m, 2 <= m <= 0xfffd)
          leaf qdisc    fq_codel where the kernel has it, else pfifo (handle from the kernel)
      filter u32 on 5744:, prio m, protocol ip (ip6), one per class:
                        ``ip dst <addr>/32`` ("down") or ``ip src <addr>/32`` ("up"),
                        ``ip6 dst|src <addr>/128`` for IPv6; flowid 5744:<m>

A class's filter is found and removed by (parent 5744:, prio m, protocol) alone, so minors
are unique across both directions (``stats()`` is keyed by minor too).

"up" traffic is redirected into ``wd-ifb<ifindex>``: an ingress qdisc (ffff:) on the LAN
interface holds one u32 match-all filter, prio 0x5744, with a mirred egress redirect to the
IFB, which carries the same HTB layout. The egress HTB exists only while there is a "down"
class, and the IFB with its redirect only while there is an "up" class.

Ownership: a root qdisc with handle 0 is the kernel's default (noqueue, pfifo_fast, mq,
fq_codel) and is replaced; an htb with major 0x5744 is Warden's; anything else is refused. The
ingress qdisc is removed with the redirect only when no other filter remains on it.

Rounding, as ``read()`` reports it:

- HTB keeps rates in whole bytes per second: a rate is read back as a multiple of 8 bit/s
  (2 Mbit, 500 kbit and 10 Mbit come back exactly). ``apply`` compares in bytes/s.
- A ceil equal to the link rate reads back as ``None`` (``None`` means "up to the link").
- HTB keeps bursts as transmit time in scheduler ticks, computed like ``tc`` does (whole
  microseconds at the rate). A burst that maps to the same ticks as the default
  (``default_burst``) reads back as ``None``; one that maps to the same ticks as a burst this
  shaper applied reads back as given; otherwise the smallest byte count with those ticks
  (exact up to 8 Mbit/s, within rate x 1 us above). ``apply`` compares ticks.
"""

from __future__ import annotations

import errno
import ipaddress
import math
import socket
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError
from pyroute2.netlink.rtnl import TC_H_INGRESS, TC_H_ROOT
from pyroute2.netlink.rtnl.tcmsg.common import calc_xmittime, tick_in_usec

from core.errors import EnforcementError
from core.ports import KernelFeatures, ShapeClass

__all__ = ["MAX_MINOR", "MIN_MINOR", "WARDEN_MAJOR", "NetlinkShaper", "default_burst"]

WARDEN_MAJOR = 0x5744
MIN_MINOR, MAX_MINOR = 2, 0xFFFD
_ROOT = WARDEN_MAJOR << 16
_PARENT = _ROOT | 1
_DEFAULT_MINOR = 0xFFFE
_INGRESS = 0xFFFF_0000
_REDIRECT_PRIO = WARDEN_MAJOR
_ETH_P_ALL, _ETH_P_IP, _ETH_P_IPV6 = 0x0003, 0x0800, 0x86DD
_MTU = 1600
_U32_SEL_SIZE = 4 + 16  # attribute header + struct tc_u32_sel, before the keys
_LEAF_LIMIT = 1000  # packets in a pfifo leaf: the kernel's default txqueuelen, as tc uses

Direction = Literal["down", "up"]


def default_burst(rate_bps: int) -> int:
    """The burst (bytes) a class gets when none is given: 1 ms at the rate plus one
    MTU-sized packet, as ``tc`` computes it."""
    return rate_bps // 8 // 1000 + _MTU


def _ticks(rate_bytes: int, burst_bytes: int) -> int:
    return int(calc_xmittime(rate_bytes, burst_bytes))


def _burst_from_ticks(rate_bytes: int, ticks: int) -> int:
    """The smallest byte count that ``_ticks`` maps to ``ticks`` at this rate."""
    usec = math.ceil(ticks / tick_in_usec - 1e-9)
    burst = math.ceil(usec * rate_bytes / 1_000_000 - 1e-9)
    while burst > 0 and _ticks(rate_bytes, burst - 1) == ticks:
        burst -= 1
    while _ticks(rate_bytes, burst) < ticks:
        burst += 1
    return burst


@dataclass(frozen=True, slots=True)
class _Params:
    """An HTB class as the kernel holds it (bytes/s and ticks)."""

    rate: int
    ceil: int
    buffer: int
    prio: int


@dataclass(frozen=True, slots=True)
class _Match:
    protocol: int
    keys: tuple[tuple[int, int, int], ...]  # (value, mask, offset), as u32 holds them


@dataclass(frozen=True, slots=True)
class _Actual:
    params: _Params
    match: _Match | None
    leaf: str | None
    stats: dict[str, int]


def _match_for(address: str, direction: Direction) -> _Match:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError as exc:
        raise EnforcementError(f"{address!r} is not an IP address") from exc
    if ip.version == 4:
        offset = 16 if direction == "down" else 12
        return _Match(_ETH_P_IP, ((int(ip), 0xFFFFFFFF, offset),))
    offset = 24 if direction == "down" else 8
    words = ip.packed
    keys = tuple(
        (int.from_bytes(words[i : i + 4], "big"), 0xFFFFFFFF, offset + i) for i in (0, 4, 8, 12)
    )
    return _Match(_ETH_P_IPV6, keys)


def _address_of(match: _Match) -> str:
    if match.protocol == _ETH_P_IP and len(match.keys) == 1:
        return str(ipaddress.IPv4Address(match.keys[0][0]))
    packed = b"".join(value.to_bytes(4, "big") for value, _, _ in sorted(match.keys, key=_off))
    return str(ipaddress.IPv6Address(packed))


def _off(key: tuple[int, int, int]) -> int:
    return key[2]


def _u32_keys(selector: Any) -> tuple[tuple[int, int, int], ...]:
    """(value, mask, offset) of a dumped u32 selector's keys, from the raw attribute:
    pyroute2 0.9.7 decodes the keys 4 bytes too early (after the 16-byte selector it starts
    at +16 from the attribute instead of +20, past the 4-byte attribute header)."""
    raw = bytes(selector.data[selector.offset : selector.offset + selector.length])
    keys = []
    for n in range(selector["nkeys"]):
        mask, value = struct.unpack_from(">II", raw, _U32_SEL_SIZE + 16 * n)
        (offset,) = struct.unpack_from("=i", raw, _U32_SEL_SIZE + 16 * n + 8)
        keys.append((value, mask, offset))
    return tuple(keys)


def _info(prio: int, protocol: int) -> int:
    """A filter's tcmsg ``info``: priority in the high half, protocol (network order) low."""
    return (prio << 16) | socket.htons(protocol)


class NetlinkShaper:
    """HTB classes for the devices behind one LAN interface (see the module doc)."""

    mode = "kernel"

    def __init__(
        self,
        interface: str,
        *,
        link_rate_bps: int,
        netns: str | None = None,
        features: KernelFeatures | None = None,
    ) -> None:
        if link_rate_bps < 8_000:
            raise EnforcementError(f"link rate {link_rate_bps} bit/s is too low for {interface}")
        self.interface = interface
        self.link_rate_bps = link_rate_bps
        self.netns = netns
        self._features = features
        self._lock = threading.RLock()
        self._applied: dict[tuple[Direction, int], int] = {}  # (side, minor) -> burst given

    # -- port --------------------------------------------------------------------------

    def features(self) -> KernelFeatures:
        if self._features is None:
            from enforcement.probe import probe_features

            self._features = probe_features(self.netns)
        return self._features

    def read(self) -> list[ShapeClass]:
        with self._lock, self._ipr() as ipr:
            index = self._index(ipr)
            shapes: list[ShapeClass] = []
            for direction, device in self._devices(ipr, index):
                for minor, actual in sorted(self._read_side(ipr, device).items()):
                    shapes.append(self._shape(direction, minor, actual))
            return shapes

    def apply(self, desired: Sequence[ShapeClass]) -> None:
        for shape in desired:
            self._validate(shape)
        if len({shape.minor for shape in desired}) != len(desired):
            raise EnforcementError("two shaping classes share a minor; minors must be unique")
        if len({(s.direction, s.address) for s in desired}) != len(desired):
            raise EnforcementError("an address has two shaping classes in one direction")
        leaf = "fq_codel" if "fq_codel" in self.features().qdiscs else "pfifo"
        down = [shape for shape in desired if shape.direction == "down"]
        up = [shape for shape in desired if shape.direction == "up"]
        with self._lock, self._ipr() as ipr:
            index = self._index(ipr)
            if down:
                self._sync_side(ipr, index, "down", down, leaf)
            else:
                self._remove_root(ipr, index, self.interface)
            if up:
                ifb = self._ensure_ifb(ipr, index)
                self._sync_side(ipr, ifb, "up", up, leaf)
                self._ensure_redirect(ipr, index, ifb)
            else:
                self._remove_ifb(ipr, index)
        for shape in desired:
            if shape.burst_bytes is not None:
                self._applied[(shape.direction, shape.minor)] = shape.burst_bytes

    def clear(self) -> None:
        with self._lock, self._ipr() as ipr:
            index = self._index(ipr)
            self._remove_root(ipr, index, self.interface)
            self._remove_ifb(ipr, index)
        self._applied.clear()

    def stats(self) -> dict[int, dict[str, Any]]:
        """Counters per class minor: ``bytes``, ``packets``, ``drops``, ``overlimits``
        (plus ``direction``)."""
        with self._lock, self._ipr() as ipr:
            index = self._index(ipr)
            return {
                minor: {"direction": direction, **actual.stats}
                for direction, device in self._devices(ipr, index)
                for minor, actual in self._read_side(ipr, device).items()
            }

    @property
    def ifb_name(self) -> str:
        """The IFB device "up" classes live on (needs the interface to exist)."""
        with self._ipr() as ipr:
            return self._ifb_name(self._index(ipr))

    # -- netlink plumbing --------------------------------------------------------------

    @contextmanager
    def _ipr(self) -> Iterator[IPRoute]:
        try:
            # flags=0: a missing namespace is an error, never silently created.
            ipr = IPRoute(netns=self.netns, flags=0) if self.netns else IPRoute()
        except (OSError, NetlinkError) as exc:
            where = f"network namespace {self.netns}" if self.netns else "the host"
            raise EnforcementError(f"cannot open netlink in {where}: {exc}") from exc
        try:
            yield ipr
        finally:
            ipr.close()

    def _call(self, what: str, device: str, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except NetlinkError as exc:
            message = exc.args[1] if len(exc.args) > 1 else errno.errorcode.get(exc.code, "")
            raise EnforcementError(
                f"{what} on {device} failed: netlink error {exc.code} ({message})"
            ) from exc

    def _index(self, ipr: IPRoute) -> int:
        name = self.interface
        if not name or len(name) > 15 or any(c in name for c in "/: \t\n") or "\0" in name:
            raise EnforcementError(f"{name!r} is not a valid interface name")
        found = self._call("looking up the interface", name, lambda: ipr.link_lookup(ifname=name))
        if not found:
            where = f" in network namespace {self.netns}" if self.netns else ""
            raise EnforcementError(f"interface {name!r} does not exist{where}")
        return int(found[0])

    def _ifb_name(self, index: int) -> str:
        return f"wd-ifb{index}"

    def _devices(self, ipr: IPRoute, index: int) -> list[tuple[Direction, int]]:
        devices: list[tuple[Direction, int]] = [("down", index)]
        ifb = ipr.link_lookup(ifname=self._ifb_name(index))
        if ifb:
            devices.append(("up", int(ifb[0])))
        return devices

    # -- reading -----------------------------------------------------------------------

    def _root_of(self, ipr: IPRoute, device: int) -> tuple[str, int] | None:
        """(kind, handle) of the device's root qdisc, or None when there is none."""
        for msg in ipr.get_qdiscs(index=device):
            if msg["parent"] == TC_H_ROOT and msg["index"] == device:
                return msg.get_attr("TCA_KIND"), msg["handle"]
        return None

    def _owned(self, ipr: IPRoute, device: int) -> bool:
        root = self._root_of(ipr, device)
        return root is not None and root[0] == "htb" and root[1] == _ROOT

    def _read_side(self, ipr: IPRoute, device: int) -> dict[int, _Actual]:
        if not self._owned(ipr, device):
            return {}
        params: dict[int, _Params] = {}
        stats: dict[int, dict[str, int]] = {}
        for msg in ipr.get_classes(index=device):
            minor = msg["handle"] & 0xFFFF
            if msg["handle"] >> 16 != WARDEN_MAJOR or not MIN_MINOR <= minor <= MAX_MINOR:
                continue
            options = msg.get_attr("TCA_OPTIONS")
            parms = options.get_attr("TCA_HTB_PARMS")
            rate = options.get_attr("TCA_HTB_RATE64") or parms["rate"]
            ceil = options.get_attr("TCA_HTB_CEIL64") or parms["ceil"]
            params[minor] = _Params(rate, ceil, parms["buffer"], parms["prio"])
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
            msg["parent"] & 0xFFFF: msg.get_attr("TCA_KIND")
            for msg in ipr.get_qdiscs(index=device)
            if msg["index"] == device and msg["parent"] >> 16 == WARDEN_MAJOR
        }
        matches: dict[int, _Match] = {}
        for msg in ipr.get_filters(index=device, parent=_ROOT):
            options = msg.get_attr("TCA_OPTIONS")
            if msg.get_attr("TCA_KIND") != "u32" or options is None:
                continue
            classid = options.get_attr("TCA_U32_CLASSID")
            selector = options.get_attr("TCA_U32_SEL")
            if classid is None or selector is None or classid >> 16 != WARDEN_MAJOR:
                continue
            keys = _u32_keys(selector)
            protocol = socket.ntohs(msg["info"] & 0xFFFF)
            matches[classid & 0xFFFF] = _Match(protocol, keys)
        return {
            minor: _Actual(p, matches.get(minor), leaves.get(minor), stats[minor])
            for minor, p in params.items()
        }

    def _shape(self, direction: Direction, minor: int, actual: _Actual) -> ShapeClass:
        p = actual.params
        link = self.link_rate_bps // 8
        burst: int | None
        remembered = self._applied.get((direction, minor))
        if p.buffer == _ticks(p.rate, default_burst(p.rate * 8)):
            burst = None
        elif remembered is not None and _ticks(p.rate, remembered) == p.buffer:
            burst = remembered
        else:
            burst = _burst_from_ticks(p.rate, p.buffer)
        return ShapeClass(
            minor=minor,
            address=_address_of(actual.match) if actual.match else "",
            direction=direction,
            rate_bps=p.rate * 8,
            ceil_bps=None if p.ceil == link else p.ceil * 8,
            prio=p.prio,
            burst_bytes=burst,
            leaf=actual.leaf or "",
        )

    # -- applying ----------------------------------------------------------------------

    def _validate(self, shape: ShapeClass) -> None:
        if not MIN_MINOR <= shape.minor <= MAX_MINOR:
            raise EnforcementError(
                f"class minor {shape.minor} is outside {MIN_MINOR}..{MAX_MINOR:#x}"
            )
        if shape.direction not in ("down", "up"):
            raise EnforcementError(f"unknown shaping direction {shape.direction!r}")
        if not 0 <= shape.prio <= 7:
            raise EnforcementError(f"HTB priority {shape.prio} is outside 0..7")
        ceil = shape.ceil_bps if shape.ceil_bps is not None else self.link_rate_bps
        if not 8 <= shape.rate_bps <= ceil:
            raise EnforcementError(
                f"rate {shape.rate_bps} bit/s must be at least 8 and at most the ceil {ceil}"
            )
        if shape.burst_bytes is not None and shape.burst_bytes <= 0:
            raise EnforcementError(f"burst {shape.burst_bytes} bytes must be positive")
        _match_for(shape.address, shape.direction)

    def _wanted(self, rate_bps: int, ceil_bps: int | None, prio: int, burst: int | None) -> _Params:
        rate = rate_bps // 8
        burst = burst if burst is not None else default_burst(rate * 8)
        ceil = (ceil_bps if ceil_bps is not None else self.link_rate_bps) // 8
        return _Params(rate, ceil, _ticks(rate, burst), prio)

    def _put_class(
        self, ipr: IPRoute, device: int, name: str, minor: int, parent: int, p: _Params
    ) -> None:
        burst = _burst_from_ticks(p.rate, p.buffer)
        self._call(
            f"setting HTB class {WARDEN_MAJOR:x}:{minor:x}",
            name,
            lambda: ipr.tc(
                "replace-class",
                "htb",
                device,
                _ROOT | minor,
                parent=parent,
                rate=p.rate,
                ceil=p.ceil,
                burst=burst,
                cburst=default_burst(p.ceil * 8),
                prio=p.prio,
                quantum=min(max(p.rate // 10, _MTU), 200_000),
            ),
        )

    def _ensure_root(self, ipr: IPRoute, device: int, name: str) -> None:
        root = self._root_of(ipr, device)
        if root is not None and root[0] == "htb" and root[1] == _ROOT:
            return
        if root is not None and root[1] != 0:
            kind, handle = root
            raise EnforcementError(
                f"{name} has a root qdisc Warden did not create ({kind} {handle >> 16:x}:),"
                " refusing to replace it"
            )
        self._call(
            "creating Warden's root HTB qdisc",
            name,
            lambda: ipr.tc("replace", "htb", device, _ROOT, default=_DEFAULT_MINOR),
        )

    def _sync_side(
        self, ipr: IPRoute, index: int, direction: Direction, shapes: list[ShapeClass], leaf: str
    ) -> None:
        device = index
        name = self.interface if direction == "down" else self._ifb_name(index)
        self._ensure_root(ipr, device, name)
        actual = self._read_side(ipr, device)
        link = self.link_rate_bps
        skeleton = {
            1: (_ROOT, self._wanted(link, link, 0, None)),
            _DEFAULT_MINOR: (_PARENT, self._wanted(max(link // 10, 8), link, 7, None)),
        }
        current = {
            msg["handle"] & 0xFFFF: msg
            for msg in ipr.get_classes(index=device)
            if msg["handle"] >> 16 == WARDEN_MAJOR
        }
        for minor, (parent, params) in skeleton.items():
            msg = current.get(minor)
            parms = msg.get_attr("TCA_OPTIONS").get_attr("TCA_HTB_PARMS") if msg else None
            if parms is None or (parms["rate"], parms["ceil"], parms["prio"]) != (
                params.rate,
                params.ceil,
                params.prio,
            ):
                self._put_class(ipr, device, name, minor, parent, params)
        wanted = {shape.minor: shape for shape in shapes}
        for minor, old in actual.items():
            if minor not in wanted:
                self._delete_filter(ipr, device, name, minor, old.match)
                self._call(
                    f"deleting HTB class {WARDEN_MAJOR:x}:{minor:x}",
                    name,
                    lambda minor=minor: ipr.tc("del-class", index=device, handle=_ROOT | minor),
                )
        for minor, shape in wanted.items():
            old = actual.get(minor)
            params = self._wanted(shape.rate_bps, shape.ceil_bps, shape.prio, shape.burst_bytes)
            if old is None or old.params != params:
                self._put_class(ipr, device, name, minor, _PARENT, params)
            if old is None or old.leaf != leaf:
                self._put_leaf(ipr, device, name, minor, leaf)
            match = _match_for(shape.address, direction)
            if old is None or old.match != match:
                if old is not None:
                    self._delete_filter(ipr, device, name, minor, old.match)
                self._add_filter(ipr, device, name, minor, match)

    def _put_leaf(self, ipr: IPRoute, device: int, name: str, minor: int, leaf: str) -> None:
        extra: dict[str, Any] = {"limit": _LEAF_LIMIT} if leaf == "pfifo" else {}
        self._call(
            f"setting the {leaf} leaf of class {WARDEN_MAJOR:x}:{minor:x}",
            name,
            lambda: ipr.tc("replace", leaf, device, 0, parent=_ROOT | minor, **extra),
        )

    def _add_filter(self, ipr: IPRoute, device: int, name: str, minor: int, m: _Match) -> None:
        self._call(
            f"adding the u32 filter of class {WARDEN_MAJOR:x}:{minor:x}",
            name,
            lambda: ipr.tc(
                "add-filter",
                "u32",
                device,
                parent=_ROOT,
                prio=minor,
                protocol=m.protocol,
                target=_ROOT | minor,
                keys=[f"{value:#x}/{mask:#x}+{offset}" for value, mask, offset in m.keys],
            ),
        )

    def _delete_filter(
        self, ipr: IPRoute, device: int, name: str, minor: int, match: _Match | None
    ) -> None:
        protocols = [match.protocol] if match else [_ETH_P_IP, _ETH_P_IPV6]
        for protocol in protocols:
            try:
                ipr.tc("del-filter", index=device, parent=_ROOT, info=_info(minor, protocol))
            except NetlinkError as exc:
                if exc.code != errno.ENOENT:
                    raise EnforcementError(
                        f"deleting the u32 filter of class {WARDEN_MAJOR:x}:{minor:x} on {name}"
                        f" failed: netlink error {exc.code}"
                    ) from exc

    def _remove_root(self, ipr: IPRoute, device: int, name: str) -> None:
        if self._owned(ipr, device):
            self._call(
                "removing Warden's root HTB qdisc",
                name,
                lambda: ipr.tc("del", index=device, parent=TC_H_ROOT, handle=_ROOT),
            )

    # -- upload side: IFB and ingress redirect -----------------------------------------

    def _ensure_ifb(self, ipr: IPRoute, index: int) -> int:
        name = self._ifb_name(index)
        found = ipr.link_lookup(ifname=name)
        if not found:
            self._call(
                "creating the IFB device", name, lambda: ipr.link("add", ifname=name, kind="ifb")
            )
            found = ipr.link_lookup(ifname=name)
        ifb = int(found[0])
        self._call(
            "bringing the IFB device up", name, lambda: ipr.link("set", index=ifb, state="up")
        )
        return ifb

    def _redirects(self, ipr: IPRoute, index: int) -> tuple[bool, list[Any]]:
        """(has an ingress qdisc, its filters)."""
        has_ingress = any(
            msg["parent"] == TC_H_INGRESS and msg["index"] == index
            for msg in ipr.get_qdiscs(index=index)
        )
        filters = list(ipr.get_filters(index=index, parent=_INGRESS)) if has_ingress else []
        return has_ingress, filters

    def _ensure_redirect(self, ipr: IPRoute, index: int, ifb: int) -> None:
        has_ingress, filters = self._redirects(ipr, index)
        if not has_ingress:
            self._call(
                "adding an ingress qdisc", self.interface, lambda: ipr.tc("add", "ingress", index)
            )
        if any(msg["info"] >> 16 == _REDIRECT_PRIO for msg in filters):
            return
        self._call(
            "adding the redirect to the IFB device",
            self.interface,
            lambda: ipr.tc(
                "add-filter",
                "u32",
                index,
                parent=_INGRESS,
                prio=_REDIRECT_PRIO,
                protocol=_ETH_P_ALL,
                target=_PARENT,
                keys=["0x0/0x0+0"],
                action={
                    "kind": "mirred",
                    "direction": "egress",
                    "action": "redirect",
                    "ifindex": ifb,
                },
            ),
        )

    def _remove_ifb(self, ipr: IPRoute, index: int) -> None:
        _, filters = self._redirects(ipr, index)
        ours = [msg for msg in filters if msg["info"] >> 16 == _REDIRECT_PRIO]
        if ours:
            info = ours[0]["info"]
            self._call(
                "removing the redirect to the IFB device",
                self.interface,
                lambda: ipr.tc("del-filter", index=index, parent=_INGRESS, info=info),
            )
            _, filters = self._redirects(ipr, index)
            if not filters:
                self._call(
                    "removing the ingress qdisc",
                    self.interface,
                    lambda: ipr.tc("del", index=index, parent=TC_H_INGRESS),
                )
        ifb = ipr.link_lookup(ifname=self._ifb_name(index))
        if ifb:
            self._call(
                "removing the IFB device",
                self._ifb_name(index),
                lambda: ipr.link("del", index=int(ifb[0])),
            )
