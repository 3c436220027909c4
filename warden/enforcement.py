"""Choosing the enforcement backends: the kernel when Warden can change it, otherwise a
dry run that records the same plans, and says so (doctor, logs, every front end)."""

from __future__ import annotations

import logging
import platform
import shutil
import threading
from dataclasses import dataclass, replace
from datetime import tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import ConfigError, EnforcementError
from core.ports import Firewall, KernelFeatures, TrafficShaper
from core.runtime import Core, open_core
from core.services import enforcement_state
from enforcement.dryrun import DryRunFirewall, DryRunShaper

log = logging.getLogger(__name__)

CAP_NET_ADMIN = 12


def has_net_admin(status: Path = Path("/proc/self/status")) -> bool:
    """Whether this process holds CAP_NET_ADMIN in its effective set."""
    try:
        for line in status.read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAP_NET_ADMIN & 1)
    except OSError:
        pass
    return False


@dataclass(frozen=True, slots=True)
class Backends:
    shaper: TrafficShaper
    firewall: Firewall
    reasons: list[str]
    """Why a backend is a dry run; empty when both change the kernel."""


def dry_run_reasons(settings: Settings) -> tuple[list[str], list[str]]:
    """(why tc cannot be used, why nft cannot be used); empty lists when they can."""
    common = []
    if settings.enforcement == "dry-run":
        common.append("WARDEN_ENFORCEMENT=dry-run")
    if not has_net_admin():
        common.append("this process lacks CAP_NET_ADMIN")
    if not settings.lan_interfaces:
        # Without a LAN to act on, Warden leaves the host's tc and nftables alone (a
        # laptop running the demo as root is not a gateway).
        common.append("no LAN interface is set (WARDEN_LAN_IFACES)")
    tc = [*common]
    nft = [*common]
    if shutil.which("nft") is None:
        nft.append("nft is not installed")
    return tc, nft


def build_backends(settings: Settings) -> Backends:
    tc_reasons, nft_reasons = dry_run_reasons(settings)
    if settings.enforcement == "kernel" and (tc_reasons or nft_reasons):
        raise ConfigError(
            "WARDEN_ENFORCEMENT=kernel, but " + "; ".join(dict.fromkeys(tc_reasons + nft_reasons))
        )
    shaper: TrafficShaper
    firewall: Firewall
    if tc_reasons:
        shaper = DryRunShaper("; ".join(tc_reasons))
    else:
        from enforcement.probe import probe_features
        from enforcement.tc import NetlinkShaper

        netns = settings.enforcement_netns
        shaper = NetlinkShaper(
            settings.lan_interfaces[0],
            link_rate_bps=settings.lan_rate_bps,
            netns=netns,
            features=probe_features(netns),
        )
    if nft_reasons:
        firewall = DryRunFirewall("; ".join(nft_reasons))
    else:
        from enforcement.nft import NftFirewall

        firewall = NftFirewall(
            lan_interfaces=settings.lan_interfaces,
            wan_interface=settings.wan_iface,
            management=settings.management,
            netns=settings.enforcement_netns,
        )
    reasons = [
        f"{backend}: {'; '.join(why)}"
        for backend, why in (("tc", tc_reasons), ("nftables", nft_reasons))
        if why
    ]
    for reason in reasons:
        log.warning("DRY RUN, the kernel is not changed: %s", reason)
    return Backends(shaper, firewall, reasons)


class GatewayKernel:
    """``Core.kernel`` of every Warden process (``KernelFeaturesSource``): what the kernel
    offers, for refusing at plan time what it cannot do. As the agent last published it
    for this kernel, else probed (once; a kernel does not change under a process); None
    in a dry run (which plans as for a full kernel) or when it cannot be probed."""

    def __init__(self, settings: Settings, db: Database, clock: Clock) -> None:
        self._settings = settings
        self._db = db
        self._clock = clock
        self._probed: KernelFeatures | None = None
        self._lock = threading.Lock()

    def features(self) -> KernelFeatures | None:
        tc_reasons, _ = dry_run_reasons(self._settings)
        if tc_reasons:
            return None
        with self._db.reader() as session:
            state = enforcement_state.read(session=session, now=self._clock.now())
        if (
            state is not None
            and state.features.kernel == platform.release()
            and state.features.qdiscs
        ):
            return state.features.as_features()
        with self._lock:
            if self._probed is None:
                self._probed = self._probe()
            return self._probed

    def _probe(self) -> KernelFeatures | None:
        from enforcement.probe import probe_features

        try:
            return probe_features(self._settings.enforcement_netns)
        except EnforcementError as exc:
            log.warning("cannot probe the kernel's traffic control: %s", exc)
            return None


def open_gateway(settings: Settings) -> Core:
    """The ``Core`` of a Warden process (the CLI, the consoles, ``serve``, the agent): the
    database brought up to date, and the kernel's features from ``GatewayKernel``."""
    core = open_core(settings)
    return replace(core, kernel=GatewayKernel(core.settings, core.db, core.clock))


def schedule_zone(settings: Settings) -> tzinfo | None:
    """The zone intent schedules are read in (None: the gateway's local time)."""
    if settings.schedule_timezone is None:
        return None
    try:
        return ZoneInfo(settings.schedule_timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"WARDEN_SCHEDULE_TIMEZONE={settings.schedule_timezone!r} is not a time zone"
        ) from exc
