"""The netlink shaper in throwaway namespaces: what it applies is what the kernel holds
(read back with pyroute2 and, independently, with ``tc -j``), and real TCP transfers run at
the rate it set."""

from __future__ import annotations

import ipaddress
import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from core.errors import EnforcementError
from core.ports import ShapeClass
from enforcement.probe import probe_features
from enforcement.tc import NetlinkShaper
from tests.enforcement.conftest import Lan, in_ns, require_net_admin

LINK = 1_000_000_000
MINOR = 0x10

_RECEIVER = """
import socket, sys, time
warmup, window = float(sys.argv[2]), float(sys.argv[3])
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((sys.argv[1], 5201))
server.listen(1)
print("ready", flush=True)
conn, _ = server.accept()
conn.settimeout(5)
conn.recv(65536)
start = time.monotonic()
total, points = 0, []
while time.monotonic() - start < warmup + window:
    data = conn.recv(65536)
    if not data:
        break
    total += len(data)
    now = time.monotonic() - start
    if now >= warmup:
        points.append((now, total))
# Least-squares slope of bytes over time: GSO/GRO deliver data in large steps, and a slope
# over many steps is not thrown off by where the window starts or ends within one.
n = len(points)
mt = sum(t for t, _ in points) / n
mb = sum(b for _, b in points) / n
slope = sum((t - mt) * (b - mb) for t, b in points) / sum((t - mt) ** 2 for t, _ in points)
print(slope * 8, flush=True)
"""

_SENDER = """
import socket, sys, time
conn = socket.create_connection((sys.argv[1], 5201), timeout=5)
chunk = b"x" * 65536
deadline = time.monotonic() + float(sys.argv[2])
try:
    while time.monotonic() < deadline:
        conn.sendall(chunk)
except OSError:
    pass
"""


def _throughput_bps(receiver_ns: str, sender_ns: str, address: str) -> float:
    """Bits per second of a TCP transfer from ``sender_ns`` to ``address`` in
    ``receiver_ns``, measured by the receiver over 2.5 s after a 0.5 s warm-up."""
    receiver = subprocess.Popen(
        [
            "ip",
            "netns",
            "exec",
            receiver_ns,
            sys.executable,
            "-c",
            _RECEIVER,
            address,
            "0.5",
            "2.5",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.stdout is not None
        assert receiver.stdout.readline().strip() == "ready"
        sender = subprocess.Popen(
            ["ip", "netns", "exec", sender_ns, sys.executable, "-c", _SENDER, address, "3.5"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        out, _ = receiver.communicate(timeout=10)
        sender.kill()
        sender.wait()
    finally:
        receiver.kill()
        receiver.wait()
    return float(out)


def _tc_json(ns: str, *argv: str) -> list[dict[str, Any]]:
    done = in_ns(ns, "tc", "-j", "-s", *argv)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout or "[]")


def _tc_classes(ns: str, device: str) -> dict[str, dict[str, str]]:
    """``tc class show`` as {handle: {"rate": "2Mbit", ...}}. Text, not ``-j``: iproute2
    6.1 prints HTB classes as text even when asked for JSON."""
    done = in_ns(ns, "tc", "class", "show", "dev", device)
    assert done.returncode == 0, done.stderr
    classes = {}
    for line in done.stdout.splitlines():
        words = line.split()
        if words[:2] == ["class", "htb"]:
            classes[words[2]] = dict(zip(words[3::2], words[4::2], strict=False))
    return classes


def _down(address: str, rate: int, **extra: Any) -> ShapeClass:
    fields: dict[str, Any] = {
        "minor": MINOR,
        "address": address,
        "direction": "down",
        "rate_bps": rate,
        "ceil_bps": rate,
        "prio": 3,
        "burst_bytes": None,
        "leaf": "pfifo",
    }
    fields.update(extra)
    return ShapeClass(**fields)


@pytest.fixture
def shaper(lan: Lan) -> Iterator[NetlinkShaper]:
    shaper = NetlinkShaper("lan0", link_rate_bps=LINK, netns=lan.gw)
    try:
        yield shaper
    finally:
        shaper.clear()


def _leaf(shaper: NetlinkShaper) -> str:
    return "fq_codel" if "fq_codel" in shaper.features().qdiscs else "pfifo"


@pytest.mark.root
def test_apply_reads_back_and_is_idempotent(lan: Lan, shaper: NetlinkShaper) -> None:
    wanted = _down(lan.dev_ip, 2_000_000, leaf=_leaf(shaper))
    shaper.apply([wanted])
    assert shaper.read() == [wanted]

    classes = _tc_classes(lan.gw, "lan0")
    assert classes[f"5744:{MINOR:x}"]["rate"] == "2Mbit"
    assert classes[f"5744:{MINOR:x}"]["ceil"] == "2Mbit"
    assert classes[f"5744:{MINOR:x}"]["prio"] == "3"
    filters = _tc_json(lan.gw, "filter", "show", "dev", "lan0", "parent", "5744:")
    (match,) = [f["options"] for f in filters if "flowid" in f.get("options", {})]
    assert match["flowid"] == f"5744:{MINOR:x}"
    assert (match["match"]["off"], match["match"]["mask"]) == (16, "ffffffff")
    assert int(match["match"]["value"], 16) == int(ipaddress.IPv4Address(lan.dev_ip))

    # Traffic into the class, then the same apply: counters survive, nothing changes.
    ping = in_ns(lan.gw, sys.executable, "-c", _UDP_BURST, lan.dev_ip)
    assert ping.returncode == 0, ping.stderr
    before = shaper.stats()[MINOR]
    assert before["packets"] >= 20 and before["direction"] == "down"
    shaper.apply([wanted])
    assert shaper.stats()[MINOR]["packets"] >= before["packets"]
    assert shaper.read() == [wanted]

    faster = _down(lan.dev_ip, 5_000_000, ceil_bps=None, burst_bytes=20_000, leaf=_leaf(shaper))
    shaper.apply([faster])
    assert shaper.read() == [faster]
    assert shaper.stats()[MINOR]["packets"] >= before["packets"]  # changed in place

    shaper.apply([])
    assert shaper.read() == []
    assert _tc_classes(lan.gw, "lan0") == {}
    assert _tc_json(lan.gw, "filter", "show", "dev", "lan0") == []
    (root,) = _tc_json(lan.gw, "qdisc", "show", "dev", "lan0")
    assert root["kind"] == "noqueue"  # no down class left: Warden's HTB is gone too

    shaper.apply([wanted])
    shaper.clear()
    (root,) = _tc_json(lan.gw, "qdisc", "show", "dev", "lan0")
    assert root["kind"] == "noqueue" and root["handle"] == "0:"


_UDP_BURST = """
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for _ in range(20):
    s.sendto(b"x" * 100, (sys.argv[1], 9))
"""


@pytest.mark.root
@pytest.mark.slow
def test_rates_are_held_down_and_up(lan: Lan, shaper: NetlinkShaper) -> None:
    shaper.apply([_down(lan.dev_ip, 2_000_000)])
    with ThreadPoolExecutor(2) as pool:
        limited = pool.submit(_throughput_bps, lan.dev, lan.gw, lan.dev_ip)
        free = pool.submit(_throughput_bps, lan.dev2, lan.gw, lan.dev2_ip)
        limited_bps, free_bps = limited.result(), free.result()
    print(f"down: limited {limited_bps / 1e6:.3f} Mbit/s, unlimited {free_bps / 1e6:.1f} Mbit/s")
    assert 2_000_000 * 0.85 <= limited_bps <= 2_000_000 * 1.15
    assert free_bps > 20_000_000

    up = ShapeClass(
        minor=MINOR + 1,
        address=lan.dev_ip,
        direction="up",
        rate_bps=1_000_000,
        ceil_bps=1_000_000,
        prio=3,
        burst_bytes=None,
        leaf=_leaf(shaper),
    )
    shaper.apply([up])
    assert shaper.read() == [up]
    up_bps = _throughput_bps(lan.gw, lan.dev, lan.gw_ip)
    print(f"up: limited {up_bps / 1e6:.3f} Mbit/s")
    assert 1_000_000 * 0.85 <= up_bps <= 1_000_000 * 1.15

    shaper.clear()
    links = in_ns(lan.gw, "ip", "-j", "link", "show")
    assert "wd-ifb" not in links.stdout
    assert _tc_json(lan.gw, "qdisc", "show", "dev", "lan0", "ingress") == []


@pytest.mark.root
def test_refuses_a_root_qdisc_it_did_not_create(lan: Lan, shaper: NetlinkShaper) -> None:
    made = in_ns(lan.gw, "tc", "qdisc", "add", "dev", "lan0", "root", "handle", "1:", "htb")
    assert made.returncode == 0, made.stderr
    with pytest.raises(EnforcementError, match=r"lan0 has a root qdisc Warden did not create"):
        shaper.apply([_down(lan.dev_ip, 2_000_000)])
    (root,) = _tc_json(lan.gw, "qdisc", "show", "dev", "lan0")
    assert (root["kind"], root["handle"]) == ("htb", "1:")
    shaper.clear()
    (root,) = _tc_json(lan.gw, "qdisc", "show", "dev", "lan0")
    assert (root["kind"], root["handle"]) == ("htb", "1:")


_SPAWNS = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn")
_seen: list[tuple[str, tuple[Any, ...]]] = []
_watching: list[bool] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _watching and event.startswith(_SPAWNS):
        _seen.append((event, args))


sys.addaudithook(_audit)


@pytest.mark.root
@pytest.mark.parametrize("name", ["x;id", "nosuch0", "$(id)", "a" * 16])
def test_bad_interface_names_are_refused_without_a_shell(lan: Lan, name: str) -> None:
    # A name no interface can have is refused when the shaper is made; a missing one on use.
    def shaper() -> NetlinkShaper:
        return NetlinkShaper(name, link_rate_bps=LINK, netns=lan.gw)

    _seen.clear()
    _watching.append(True)
    try:
        for call in (
            lambda: shaper().read(),
            lambda: shaper().apply([_down(lan.dev_ip, 2_000_000)]),
        ):
            with pytest.raises(EnforcementError, match="interface"):
                call()
    finally:
        _watching.clear()
    assert _seen == []


@pytest.mark.root
def test_missing_namespace_is_an_enforcement_error() -> None:
    require_net_admin()
    with pytest.raises(EnforcementError, match="network namespace"):
        NetlinkShaper("lan0", link_rate_bps=LINK, netns="wd-no-such-namespace").read()


def _tc_accepts(ns: str, *argv: str) -> bool:
    return in_ns(ns, *argv).returncode == 0


@pytest.mark.root
def test_probe_agrees_with_tc(lan: Lan) -> None:
    features = probe_features(lan.gw)
    print(f"probed: {features}")
    assert {"htb", "pfifo", "ingress"} <= features.qdiscs
    assert "u32" in features.classifiers
    assert "mirred" in features.actions

    ns = lan.gw
    assert (
        in_ns(ns, "ip", "link", "add", "pr0", "type", "veth", "peer", "name", "pr1").returncode == 0
    )
    qdisc_args = {"tbf": ["rate", "1mbit", "burst", "10k", "latency", "50ms"]}
    for kind in ("htb", "tbf", "pfifo", "bfifo", "fq_codel", "netem", "sfq", "prio"):
        accepted = _tc_accepts(
            ns, "tc", "qdisc", "add", "dev", "pr0", "root", kind, *qdisc_args.get(kind, [])
        )
        in_ns(ns, "tc", "qdisc", "del", "dev", "pr0", "root")
        assert accepted == (kind in features.qdiscs), kind
    for kind in ("clsact", "ingress"):  # ingress last: the filters below hang off it
        accepted = _tc_accepts(ns, "tc", "qdisc", "add", "dev", "pr0", kind)
        if kind == "clsact":
            in_ns(ns, "tc", "qdisc", "del", "dev", "pr0", "clsact")
        assert accepted == (kind in features.qdiscs), kind

    base = ["tc", "filter", "add", "dev", "pr0", "parent", "ffff:", "protocol", "all"]
    classifiers = {
        "u32": ["u32", "match", "u32", "0", "0", "classid", "1:1"],
        "flower": ["flower", "classid", "1:1"],
        "fw": ["fw", "classid", "1:1"],
        "matchall": ["matchall", "classid", "1:1"],
    }
    for prio, (kind, argv) in enumerate(classifiers.items(), start=1):
        accepted = _tc_accepts(ns, *base, "prio", str(prio), *argv)
        assert accepted == (kind in features.classifiers), kind
    actions = {
        "mirred": ["mirred", "egress", "mirror", "dev", "pr1"],
        "police": ["police", "rate", "1mbit", "burst", "10k"],
        "gact": ["gact", "pass"],
    }
    for prio, (kind, argv) in enumerate(actions.items(), start=10):
        argv = [*base, "prio", str(prio), "u32", "match", "u32", "0", "0", "action", *argv]
        assert _tc_accepts(ns, *argv) == (kind in features.actions), kind

    ifb = _tc_accepts(ns, "ip", "link", "add", "pr-ifb", "type", "ifb")
    assert ifb == ("ifb" in features.qdiscs)


@pytest.mark.root
def test_ipv6_and_both_directions_read_back(lan: Lan, shaper: NetlinkShaper) -> None:
    leaf = _leaf(shaper)
    wanted = [
        _down("fd00:77::2", 500_000, ceil_bps=10_000_000, leaf=leaf),
        _down(lan.dev_ip, 10_000_000, minor=MINOR + 1, direction="up", leaf=leaf),
    ]
    shaper.apply(wanted)
    shaper.apply(wanted)
    assert sorted(shaper.read(), key=lambda s: s.minor) == wanted
    assert set(shaper.stats()) == {MINOR, MINOR + 1}
