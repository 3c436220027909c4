"""Throwaway network namespaces for the nftables tests: a device, a gateway and a WAN host.

    dev (10.79.x.2) ── eth0 ═ lan0 ── gw (10.79.x.1 / 10.80.x.1) ── wan0 ═ eth0 ── wan (10.80.x.2)

The gateway forwards; the device's default route and the WAN host's route back both go
through it. Everything runs from argument vectors; ``delete`` removes what ``build`` made.
"""

from __future__ import annotations

import contextlib
import json
import random
import subprocess
import sys
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from tests.enforcement.conftest import add_netns, in_ns, ip, veth

CONNECT_TIMEOUT_S = 0.5

_SERVER = """
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", int(port)))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        conn, _ = key.fileobj.accept()
        conn.close()
"""

_PROBE = """
import json, socket, sys
from concurrent.futures import ThreadPoolExecutor
def attempt(target):
    host, port = target.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=float(sys.argv[1])):
            return True
    except OSError:
        return False
targets = sys.argv[2:]
with ThreadPoolExecutor(len(targets)) as pool:
    print(json.dumps(dict(zip(targets, pool.map(attempt, targets)))))
"""


@dataclass(frozen=True)
class Topology:
    gw: str
    dev: str
    wan: str
    subnet: int

    @property
    def dev_ip(self) -> str:
        return f"10.79.{self.subnet}.2"

    @property
    def gw_lan_ip(self) -> str:
        return f"10.79.{self.subnet}.1"

    @property
    def wan_ip(self) -> str:
        return f"10.80.{self.subnet}.2"

    def exec(self, ns: str, *argv: str) -> str:
        done = in_ns(ns, *argv)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} in {ns} failed: {done.stderr.strip()}")
        return done.stdout

    def reachable(self, *targets: tuple[str, int]) -> dict[tuple[str, int], bool]:
        """Whether a TCP connection from the device to each (host, port) succeeds (all
        attempted at once, each with a short timeout)."""
        names = [f"{host}:{port}" for host, port in targets]
        out = self.exec(self.dev, sys.executable, "-c", _PROBE, str(CONNECT_TIMEOUT_S), *names)
        found = json.loads(out)
        return {target: found[name] for target, name in zip(targets, names, strict=True)}


def _build(topology: Topology) -> None:
    t, x = topology, topology.subnet
    for ns in (t.gw, t.dev, t.wan):
        add_netns(ns)
    veth(t.gw, "lan0", f"10.79.{x}.1/24", t.dev, f"10.79.{x}.2/24")
    veth(t.gw, "wan0", f"10.80.{x}.1/24", t.wan, f"10.80.{x}.2/24")
    ip("-n", t.dev, "route", "add", "default", "via", f"10.79.{x}.1")
    ip("-n", t.wan, "route", "add", f"10.79.{x}.0/24", "via", f"10.80.{x}.1")
    t.exec(t.gw, "sysctl", "-qw", "net.ipv4.ip_forward=1")


def _delete(topology: Topology) -> None:
    for ns in (topology.gw, topology.dev, topology.wan):
        with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
            ip("netns", "delete", ns)


@contextlib.contextmanager
def topology() -> Iterator[Topology]:
    """Three fresh namespaces with unique names, always deleted afterwards."""
    suffix = uuid.uuid4().hex[:8]
    built = Topology(
        gw=f"warden-gw-{suffix}",
        dev=f"warden-dev-{suffix}",
        wan=f"warden-wan-{suffix}",
        subnet=random.randint(1, 254),
    )
    try:
        _build(built)
        yield built
    finally:
        _delete(built)


@contextlib.contextmanager
def servers(topology: Topology, ns: str, ports: Sequence[int]) -> Iterator[None]:
    """TCP listeners on ``ports`` in namespace ``ns`` that accept and close."""
    process = subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-c", _SERVER, *map(str, ports)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            process.kill()
            raise RuntimeError(f"listeners in {ns} did not start: {process.stderr.read()}")
        yield
    finally:
        process.kill()
        process.wait(timeout=5)
