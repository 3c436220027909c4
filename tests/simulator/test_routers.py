"""The simulated OpenWRT gateway and access point: their lines are real wordings, their
everyday trickle never raises a finding, the scripted incidents raise exactly the findings
they stand for, and a fleet delivers them as syslog datagrams Warden's parser reads."""

from __future__ import annotations

import heapq
import itertools
import re
import socket
import threading
from collections.abc import Callable
from pathlib import Path

import yaml

from core.rules import AverageRule, LogEvent, PatternEngine, PatternRule, load_packs
from core.syslog import parse_syslog
from simulator import Fleet, FleetConfig
from simulator.device import Environment
from simulator.presets import ROUTER_KINDS, plan
from simulator.reactor import Timer
from simulator.router_lines import TEMPLATES, template_regex
from simulator.routers import Router, lan_clients
from simulator.scenario import DEMO
from tests.simulator.conftest import SimBroker

ROOT = Path(__file__).resolve().parents[2]
CORPUS = yaml.safe_load((ROOT / "tests/syslog/corpus/openwrt_lines.yaml").read_text())
RULES = [r for r in load_packs(ROOT / "data/rules") if isinstance(r, PatternRule | AverageRule)]
T0 = 1_770_890_400.0  # 2026-02-12 10:00:00 UTC


def test_every_template_is_the_wording_of_a_real_line() -> None:
    real: dict[str, list[str]] = {}
    for family in CORPUS["families"]:
        real.setdefault(family["app"], []).extend(line["message"] for line in family["lines"])
    for name, (app, text) in TEMPLATES.items():
        pattern = template_regex(text)
        assert any(pattern.fullmatch(line) for line in real.get(app, [])), name


class VirtualTime:
    """Just enough of the reactor to run routers in simulated time, instantly."""

    def __init__(self) -> None:
        self.now = T0
        self._timers: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()

    def clock(self) -> float:
        return self.now

    def call_later(self, delay_s: float, callback: Callable[[], None]) -> Timer:
        timer = Timer(self.now + delay_s, callback)
        heapq.heappush(self._timers, (timer.when, next(self._order), timer))
        return timer

    def run_until(self, end: float) -> None:
        while self._timers and self._timers[0][0] <= end:
            when, _, timer = heapq.heappop(self._timers)
            self.now = when
            if not timer.cancelled:
                timer.callback()
        self.now = end


class Capture:
    def __init__(self, time: VirtualTime) -> None:
        self.time = time
        self.lines: list[tuple[float, bytes]] = []

    def send(self, datagram: bytes) -> bool:
        self.lines.append((self.time.now, datagram))
        return True


def routers(time: VirtualTime) -> tuple[dict[str, Router], Capture]:
    env = Environment(
        reactor=time,  # type: ignore[arg-type]
        brokers=(),
        prefix="iot",
        qos=1,
        rate=1.0,
        max_unacked=1000,
        faults=frozenset(),
        fault_rate=1.0,
        seed=0,
    )
    specs = plan({"dc_meter": 1, "ac_meter": 1, "temperature": 2, "doorcam": 2, "audio": 1,
                  "co2": 1, "hvac": 1, "gateway": 1, "access_point": 1})  # fmt: skip
    capture = Capture(time)
    clients = lan_clients(specs)
    boxes = {s.kind: Router(s, env, capture, clients) for s in specs if s.is_router}  # type: ignore[arg-type]
    for box in boxes.values():
        box.start()
    return boxes, capture


def findings(capture: Capture) -> list[tuple[str, str]]:
    engine = PatternEngine(RULES)
    fired = []
    for n, (at, datagram) in enumerate(capture.lines):
        record = parse_syslog(datagram, received_ms=int(at * 1000))
        event = LogEvent.from_record(record, id=n)
        fired += [(f.rule_id, f.key) for f in engine.feed(event)]
    return fired


def test_two_hours_of_everyday_lines_raise_nothing() -> None:
    time = VirtualTime()
    _boxes, capture = routers(time)
    time.run_until(T0 + 2 * 3600)
    assert len(capture.lines) > 1000
    assert findings(capture) == []
    text = b"\n".join(line for _, line in capture.lines).decode()
    assert "DHCPACK(br-lan) 192.168.1.100 " in text and " dc-meter-001" in text  # teaches Warden


def test_the_demo_incidents_raise_exactly_their_findings() -> None:
    time = VirtualTime()
    boxes, capture = routers(time)
    for incident in DEMO:
        if incident.kind in ROUTER_KINDS:
            action = getattr(boxes[incident.kind], incident.action)
            time.call_later(incident.at_s, lambda a=action, i=incident: a(**dict(i.args)))
    time.run_until(T0 + 60)  # the first minute
    fired = findings(capture)
    assert sorted(set(fired)) == [
        ("connectivity.dhcp-failures", "f2:0c:15:5f:43:ae"),
        ("connectivity.interface-flapping", "main-gateway:wan"),
        ("connectivity.wan-down", "main-gateway:wan"),
        ("health.oom-killer", "hall-ap"),
        ("security.ssh-login-failures", "203.0.113.45"),
        ("wifi.auth-failures", "da:a1:19:5e:10:c4"),
    ]
    assert len(fired) == len(set(fired))  # each once


def test_a_fleet_sends_its_routers_lines_as_syslog_datagrams(sim_broker: SimBroker) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        received: list[bytes] = []
        stop = threading.Event()

        def receive() -> None:
            while not stop.is_set():
                try:
                    received.append(listener.recv(65535))
                except TimeoutError:
                    continue

        reader = threading.Thread(target=receive, daemon=True)
        reader.start()
        config = FleetConfig(
            brokers=[sim_broker.url],
            counts={"gateway": 1, "access_point": 1, "doorcam": 1},
            rate=20.0,
            syslog=f"udp://127.0.0.1:{port}",
            scenario="demo",
        )
        with Fleet(config) as fleet:
            assert fleet.wait_connected(5)
            done = threading.Event()
            threading.Timer(2.5, done.set).start()  # 50 nominal seconds of the demo
            done.wait()
        stop.set()
        reader.join(5)

    records = [parse_syslog(d, received_ms=int(T0 * 1000)) for d in received]
    assert {r.host for r in records} == {"main-gateway", "hall-ap"}
    assert {r.app for r in records} >= {"hostapd", "dnsmasq-dhcp", "netifd", "dropbear", "kernel"}
    assert any(
        re.search(r"Bad password attempt for 'root' from 203\.0\.113\.45", r.message)
        for r in records
    )
    summary = fleet.summary()
    assert summary.device("gw-001").protocol == "syslog"
    assert summary.totals.published["syslog"] == len(received)
