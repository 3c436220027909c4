"""Throwaway network namespaces for the kernel benches: the two namespaces and veth pairs
``warden bench enforce`` runs in, the ``ip``/``tc`` argument vectors it spawns (never a
shell), and a netlink socket that wakes a bench when the kernel reports a tc change."""

from __future__ import annotations

import ctypes
import os
import secrets
import select
import shutil
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import EnforcementError

WARDEN_LINK, WARDEN_GW, WARDEN_DEV = "lan0", "10.99.0.1", "10.99.0.2"
PEER_LINK, PEER_GW, PEER_DEV = "lan1", "10.98.0.1", "10.98.0.2"
CAP_NET_ADMIN = 12
CLONE_NEWNET = 0x40000000
NETLINK_ROUTE = 0
RTMGRP_TC = 0x8
RTM_NEWTCLASS, RTM_NEWTFILTER = 40, 44


def has_net_admin() -> bool:
    """CAP_NET_ADMIN in this process's effective set (``/proc/self/status``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("CapEff:"):
                return bool(int(line.split()[1], 16) >> CAP_NET_ADMIN & 1)
    except (OSError, ValueError, IndexError):
        pass
    return False


def tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise EnforcementError(f"warden bench enforce needs {name} (iproute2) installed")
    return found


def run_ip(*argv: str) -> None:
    done = subprocess.run(
        [tool("ip"), *argv], capture_output=True, text=True, timeout=10, check=False
    )
    if done.returncode != 0:
        raise EnforcementError(f"ip {' '.join(argv)} failed: {done.stderr.strip()}")


def in_ns(ip: str, ns: str, *argv: str) -> subprocess.CompletedProcess[str]:
    """``argv`` run inside ``ns`` (``ip`` is the resolved path of ``ip``)."""
    return subprocess.run(
        [ip, "netns", "exec", ns, *argv], capture_output=True, text=True, timeout=10, check=False
    )


@contextmanager
def namespaces() -> Iterator[str]:
    """The gateway namespace's name, with both links up; both namespaces deleted after."""
    gw = f"wdbench-{secrets.token_hex(4)}"
    dev = f"{gw}-d"
    made: list[str] = []
    try:
        for ns in (gw, dev):
            run_ip("netns", "add", ns)
            made.append(ns)
            run_ip("-n", ns, "link", "set", "lo", "up")
        for gw_side, gw_ip, dev_side, dev_ip in (
            (WARDEN_LINK, WARDEN_GW, "eth0", WARDEN_DEV),
            (PEER_LINK, PEER_GW, "eth1", PEER_DEV),
        ):
            run_ip("-n", gw, "link", "add", gw_side, "type", "veth", "peer", "name", dev_side,
                "netns", dev)  # fmt: skip
            for ns, link, cidr in ((gw, gw_side, f"{gw_ip}/24"), (dev, dev_side, f"{dev_ip}/24")):
                run_ip("-n", ns, "addr", "add", cidr, "dev", link)
                run_ip("-n", ns, "link", "set", link, "up")
        yield gw
    finally:
        for ns in reversed(made):
            subprocess.run(
                [tool("ip"), "netns", "del", ns], capture_output=True, timeout=10, check=False
            )


def _tc_event_socket(ns: str) -> socket.socket:
    """A netlink route socket inside ``ns`` subscribed to tc events (made on a thread that
    enters the namespace with ``setns``; the socket stays in it after the thread ends)."""
    libc = ctypes.CDLL(None, use_errno=True)
    made: list[socket.socket] = []
    failed: list[str] = []

    def enter_and_open() -> None:
        fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
        try:
            if libc.setns(fd, CLONE_NEWNET) != 0:
                failed.append(os.strerror(ctypes.get_errno()))
                return
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_ROUTE)
            sock.bind((0, RTMGRP_TC))
            sock.setblocking(False)
            made.append(sock)
        finally:
            os.close(fd)

    thread = threading.Thread(target=enter_and_open, name="enforce-bench-netns")
    thread.start()
    thread.join()
    if not made:
        raise EnforcementError(f"cannot watch tc events in {ns}: {failed or 'no socket'}")
    return made[0]


class TcEvents:
    """Wakes the bench when the kernel reports a class or filter change in the namespace."""

    def __init__(self, ns: str) -> None:
        self.sock = _tc_event_socket(ns)

    def wait(self, timeout_s: float) -> None:
        """Until a class or filter was added or changed (or ``timeout_s``)."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.sock], [], [], left)
            if ready and self.drain():
                return

    def drain(self) -> bool:
        """Read every queued message; whether one was a new class or filter."""
        seen = False
        while True:
            try:
                data = self.sock.recv(65536)
            except (BlockingIOError, InterruptedError):
                return seen
            except OSError:  # ENOBUFS: events were lost; read the kernel anyway
                return True
            offset = 0
            while offset + 16 <= len(data):
                length, kind = struct.unpack_from("=IH", data, offset)
                seen |= kind in (RTM_NEWTCLASS, RTM_NEWTFILTER)
                offset += max((length + 3) & ~3, 16)

    def close(self) -> None:
        self.sock.close()
