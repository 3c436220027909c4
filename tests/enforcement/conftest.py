"""Throwaway network namespaces for the tc shaper tests.

    dev  (10.77.x.2) eth0 ═ lan0 (10.77.x.1) ─┐
                                              gw
    dev2 (10.78.x.2) eth0 ═ lan1 (10.78.x.1) ─┘

Built and torn down with ``ip`` argument vectors (never a shell); every namespace is deleted
after the test, even when it fails.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import _unavailable
from warden.enforcement import has_net_admin


def require_net_admin() -> None:
    """Root with CAP_NET_ADMIN in the effective set is what creating namespaces needs."""
    if os.geteuid() != 0 or not has_net_admin():
        _unavailable("needs root and CAP_NET_ADMIN to create network namespaces")


def ip(*argv: str) -> str:
    done = subprocess.run(["ip", *argv], capture_output=True, text=True, timeout=10, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(argv)} failed: {done.stderr.strip()}")
    return done.stdout


def in_ns(ns: str, *argv: str, timeout: float = 10) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside network namespace ``ns`` (``ip netns exec``), without a shell."""
    return subprocess.run(
        ["ip", "netns", "exec", ns, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def add_netns(name: str) -> None:
    ip("netns", "add", name)
    ip("-n", name, "link", "set", "lo", "up")


def veth(gw: str, gw_side: str, gw_cidr: str, peer: str, peer_cidr: str) -> None:
    """A veth pair from namespace ``gw`` (``gw_side``) to ``peer`` (``eth0``), addressed
    and up."""
    ip("-n", gw, "link", "add", gw_side, "type", "veth", "peer", "name", "eth0", "netns", peer)
    for ns, link, cidr in ((gw, gw_side, gw_cidr), (peer, "eth0", peer_cidr)):
        ip("-n", ns, "addr", "add", cidr, "dev", link)
        ip("-n", ns, "link", "set", link, "up")


@dataclass(frozen=True)
class Lan:
    gw: str
    dev: str
    dev2: str
    subnet: int

    @property
    def dev_ip(self) -> str:
        return f"10.77.{self.subnet}.2"

    @property
    def gw_ip(self) -> str:
        return f"10.77.{self.subnet}.1"

    @property
    def dev2_ip(self) -> str:
        return f"10.78.{self.subnet}.2"

    @property
    def gw_ip2(self) -> str:
        return f"10.78.{self.subnet}.1"


@pytest.fixture
def lan() -> Iterator[Lan]:
    require_net_admin()
    suffix = secrets.token_hex(4)
    subnet = secrets.randbelow(250) + 1
    topo = Lan(
        gw=f"wd-gw-{suffix}", dev=f"wd-dev-{suffix}", dev2=f"wd-dev2-{suffix}", subnet=subnet
    )
    made: list[str] = []
    try:
        for ns in (topo.gw, topo.dev, topo.dev2):
            add_netns(ns)
            made.append(ns)
        for gw_side, device_ns, prefix in (
            ("lan0", topo.dev, "10.77"),
            ("lan1", topo.dev2, "10.78"),
        ):
            veth(topo.gw, gw_side, f"{prefix}.{subnet}.1/24", device_ns, f"{prefix}.{subnet}.2/24")
        yield topo
    finally:
        for ns in made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10, check=False)
