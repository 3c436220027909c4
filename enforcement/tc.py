"""HTB shaping on one LAN interface through netlink (pyroute2): the kernel ``TrafficShaper``.

Layout, on each shaped device (the LAN interface for "down", its IFB for "up")::

    root qdisc  htb 5744:  default fffe              Warden's major 0x5744 ("WD")
      class 5744:1      rate = ceil = link rate       parent of everything
        class 5744:fffe rate = link/10, ceil = link, prio 7     unmatched traffic
        class 5744:<m>  one per ShapeClass (minor m, 2 <= m <= 0xfffd)
          leaf qdisc    fq_codel where the kernel has it, else pfifo (handle from the kernel);
                        netem instead where the class carries ``Netem`` (delay, jitter, loss)
                        and the kernel has netem; refused before any change where it has not
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
- netem delay and jitter are kept in scheduler ticks and read back in whole microseconds;
  loss as a share of 2**32 - 1, read back rounded to 6 decimals of a percent
  (``enforcement.leaf_qdisc``).

The pieces: ``tc_layout`` (handles), ``htb_math`` and ``u32_match`` and ``leaf_qdisc`` (pure),
``netlink_session``, ``htb_reader``, ``htb_writer`` and ``ifb_redirect`` (netlink I/O); this
module holds the shaper, which plans each side and calls them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pyroute2 import IPRoute

from core.errors import EnforcementError
from core.ports import KernelFeatures, ShapeClass
from enforcement import htb_writer
from enforcement.htb_math import HtbParams, burst_as_read, default_burst
from enforcement.htb_reader import ActualClass, DeviceDump, classes_of, dump, read_classes
from enforcement.ifb_redirect import ensure_ifb, ensure_redirect, find_ifb, ifb_name, remove_ifb
from enforcement.leaf_qdisc import Leaf, wanted_leaf
from enforcement.netlink_session import checked_interface, interface_index, open_socket
from enforcement.tc_layout import (
    DEFAULT_MINOR,
    MAX_MINOR,
    MIN_MINOR,
    PARENT,
    ROOT,
    WARDEN_MAJOR,
    Direction,
)
from enforcement.u32_match import address_of, match_for

__all__ = ["MAX_MINOR", "MIN_MINOR", "WARDEN_MAJOR", "NetlinkShaper", "default_burst"]

SNAPSHOT_S = 2.0
"""How long what ``read`` dumped may stand in for the kernel in the ``apply`` that follows
it (a reconcile pass reads, plans, then applies: one read per pass)."""


class _Snapshot:
    """What ``read`` dumped, for the next ``apply`` (used once)."""

    __slots__ = ("at", "down", "ifb", "up")

    def __init__(self, down: DeviceDump, ifb: int | None, up: DeviceDump | None) -> None:
        self.at = time.monotonic()
        self.down, self.ifb, self.up = down, ifb, up


class NetlinkShaper:
    """HTB classes for the devices behind one LAN interface (see the module doc)."""

    mode = "kernel"
    dry_run_reason: str | None = None

    def __init__(
        self,
        interface: str,
        *,
        link_rate_bps: int,
        netns: str | None = None,
        features: KernelFeatures | None = None,
    ) -> None:
        checked_interface(interface)
        if link_rate_bps < 8_000:
            raise EnforcementError(f"link rate {link_rate_bps} bit/s is too low for {interface}")
        self.interface = interface
        self.link_rate_bps = link_rate_bps
        self.netns = netns
        self._features = features
        self._lock = threading.RLock()
        self._ipr: IPRoute | None = None
        """One netlink socket kept open: entering a namespace costs pyroute2 a fork
        (~4 ms) per socket, which would otherwise be paid by every read and apply."""
        self._applied: dict[tuple[Direction, int], int] = {}  # (side, minor) -> burst given
        self._index_cache: int | None = None
        """The interface's ifindex, looked up once per socket (dropped with it)."""
        self._snapshot: _Snapshot | None = None

    # -- port --------------------------------------------------------------------------

    def features(self) -> KernelFeatures:
        if self._features is None:
            from enforcement.probe import probe_features

            self._features = probe_features(self.netns)
        return self._features

    def read(self) -> list[ShapeClass]:
        """What the kernel holds; the dump is kept for the ``apply`` that follows."""
        with self._netlink() as ipr:
            index = self._index(ipr)
            down = dump(ipr, index)
            # The IFB exists only while there is an "up" class, and so its ingress redirect:
            # without an ingress qdisc there is no IFB of Warden's to look up.
            ifb = find_ifb(ipr, index) if down.has_ingress else None
            up = dump(ipr, ifb) if ifb is not None else None
            self._snapshot = _Snapshot(down, ifb, up)
            shapes: list[ShapeClass] = []
            for direction, dumped in (("down", down), ("up", up)):
                if dumped is None:
                    continue
                for minor, actual in sorted(classes_of(dumped).items()):
                    shapes.append(self._shape(direction, minor, actual))  # type: ignore[arg-type]
            return shapes

    def apply(self, desired: Sequence[ShapeClass]) -> None:
        for shape in desired:
            self._validate(shape)
        if len({shape.minor for shape in desired}) != len(desired):
            raise EnforcementError("two shaping classes share a minor; minors must be unique")
        if len({(s.direction, s.address) for s in desired}) != len(desired):
            raise EnforcementError("an address has two shaping classes in one direction")
        qdiscs = self.features().qdiscs
        leaves = {shape.minor: wanted_leaf(shape, qdiscs) for shape in desired}
        down = [shape for shape in desired if shape.direction == "down"]
        up = [shape for shape in desired if shape.direction == "up"]
        with self._netlink() as ipr:
            index = self._index(ipr)
            snap = self._snapshot
            self._snapshot = None  # the kernel changes now: a snapshot serves one apply
            if snap is not None and time.monotonic() - snap.at > SNAPSHOT_S:
                snap = None
            if down:
                self._sync_side(ipr, index, "down", down, leaves, snap.down if snap else None)
            elif snap is None or snap.down.owned:
                htb_writer.remove_root(ipr, index, self.interface)
            if up:
                ifb = snap.ifb if snap is not None and snap.ifb is not None else None
                ifb = ensure_ifb(ipr, index) if ifb is None else ifb
                self._sync_side(ipr, ifb, "up", up, leaves, snap.up if snap else None)
                ensure_redirect(ipr, index, self.interface, ifb)
            elif snap is None or snap.ifb is not None or snap.down.has_ingress:
                remove_ifb(ipr, index, self.interface)
        for shape in desired:
            if shape.burst_bytes is not None:
                self._applied[(shape.direction, shape.minor)] = shape.burst_bytes

    def clear(self) -> None:
        with self._netlink() as ipr:
            self._snapshot = None
            index = self._index(ipr)
            htb_writer.remove_root(ipr, index, self.interface)
            remove_ifb(ipr, index, self.interface)
        self._applied.clear()

    def stats(self) -> dict[int, dict[str, Any]]:
        """Counters per class minor: ``bytes``, ``packets``, ``drops``, ``overlimits``
        (plus ``direction``)."""
        with self._netlink() as ipr:
            index = self._index(ipr)
            return {
                minor: {"direction": direction, **actual.stats}
                for direction, device in self._devices(ipr, index)
                for minor, actual in read_classes(ipr, device).items()
            }

    @property
    def ifb_name(self) -> str:
        """The IFB device "up" classes live on (needs the interface to exist)."""
        with self._netlink() as ipr:
            return ifb_name(self._index(ipr))

    def close(self) -> None:
        """Close the netlink socket (the next call opens a new one)."""
        with self._lock:
            if self._ipr is not None:
                self._ipr.close()
                self._ipr = None

    # -- helpers -----------------------------------------------------------------------

    @contextmanager
    def _netlink(self) -> Iterator[IPRoute]:
        """The kept socket, under the lock. After any failure it is dropped, so a namespace
        or interface that was recreated meanwhile is found afresh on the next call."""
        with self._lock:
            if self._ipr is None:
                self._ipr = open_socket(self.netns)
            try:
                yield self._ipr
            except BaseException:
                self._ipr.close()
                self._ipr = None
                self._index_cache = None
                self._snapshot = None
                raise

    def _index(self, ipr: IPRoute) -> int:
        if self._index_cache is None:
            self._index_cache = interface_index(ipr, self.interface, self.netns)
        return self._index_cache

    def _devices(self, ipr: IPRoute, index: int) -> list[tuple[Direction, int]]:
        devices: list[tuple[Direction, int]] = [("down", index)]
        ifb = find_ifb(ipr, index)
        if ifb is not None:
            devices.append(("up", ifb))
        return devices

    def _shape(self, direction: Direction, minor: int, actual: ActualClass) -> ShapeClass:
        p = actual.params
        link = self.link_rate_bps // 8
        leaf = actual.leaf or Leaf("")
        return ShapeClass(
            minor=minor,
            address=address_of(actual.match) if actual.match else "",
            direction=direction,
            rate_bps=p.rate * 8,
            ceil_bps=None if p.ceil == link else p.ceil * 8,
            prio=p.prio,
            burst_bytes=burst_as_read(p, self._applied.get((direction, minor))),
            leaf=leaf.kind,
            netem=leaf.netem,
        )

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
        match_for(shape.address, shape.direction)

    def _wanted(
        self, rate_bps: int, ceil_bps: int | None, prio: int, burst: int | None
    ) -> HtbParams:
        return HtbParams.wanted(rate_bps, ceil_bps, prio, burst, link_bps=self.link_rate_bps)

    def _sync_side(
        self,
        ipr: IPRoute,
        device: int,
        direction: Direction,
        shapes: list[ShapeClass],
        leaves: dict[int, Leaf],
        dumped: DeviceDump | None = None,
    ) -> None:
        """Make the classes on one device (the LAN interface or its IFB) exactly ``shapes``,
        touching only what differs. ``dumped``: the device as this pass read it (else it is
        dumped here)."""
        name = self.interface if direction == "down" else ifb_name(self._index(ipr))
        if dumped is None:
            dumped = dump(ipr, device)
        if not dumped.owned:
            htb_writer.ensure_root(ipr, device, name)
            dumped = dump(ipr, device)
        actual = classes_of(dumped)
        link = self.link_rate_bps
        skeleton = {
            1: (ROOT, self._wanted(link, link, 0, None)),
            DEFAULT_MINOR: (PARENT, self._wanted(max(link // 10, 8), link, 7, None)),
        }
        current = {
            msg["handle"] & 0xFFFF: msg
            for msg in dumped.classes
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
                htb_writer.put_class(ipr, device, name, minor, parent, params)
        wanted = {shape.minor: shape for shape in shapes}
        for minor, old in actual.items():
            if minor not in wanted:
                htb_writer.delete_filter(ipr, device, name, minor, old.match)
                htb_writer.delete_class(ipr, device, name, minor)
        for minor, shape in wanted.items():
            old = actual.get(minor)
            params = self._wanted(shape.rate_bps, shape.ceil_bps, shape.prio, shape.burst_bytes)
            if old is None or old.params != params:
                htb_writer.put_class(ipr, device, name, minor, PARENT, params)
            if old is None or old.leaf != leaves[minor]:
                htb_writer.put_leaf(ipr, device, name, minor, leaves[minor])
            match = match_for(shape.address, direction)
            if old is None or old.match != match:
                if old is not None:
                    htb_writer.delete_filter(ipr, device, name, minor, old.match)
                htb_writer.add_filter(ipr, device, name, minor, match)
