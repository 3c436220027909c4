"""The real ``warden agent`` process enforcing intents in a throwaway gateway namespace, and
what the kernel holds after the agent stops, the interface is flushed, or the agent is
killed in the middle of its work and started again."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.collectors.conftest import wait_until
from tests.enforcement.conftest import Lan, in_ns, require_net_admin

HTB_MAJOR = "5744"
WARDEN_CLASSES = {f"{HTB_MAJOR}:1", f"{HTB_MAJOR}:fffe"}
"""Warden's parent and default classes: there whenever anything is shaped."""
RATE_TOLERANCE = 0.01
HTB_CLASS = re.compile(r"class htb (?P<handle>\S+) .*?\brate (?P<rate>[\d.]+)(?P<unit>[KMG]?)bit ")
UNITS = {"": 1, "K": 1_000, "M": 1_000_000, "G": 1_000_000_000}


RESTORED = re.compile(r"class 0x(?P<minor>[0-9a-f]+) for \S+ (missing|changed)")
FOUR_MBIT_CLASS = re.compile(r"^class htb \S+ .*\brate 4Mbit ")


@contextmanager
def tc_events(ns: str, pattern: re.Pattern[str]) -> Iterator[threading.Event]:
    """``tc monitor`` in namespace ``ns``: the event is set when a line it prints matches
    ``pattern`` (as the kernel changes, not when a poll next looks)."""
    monitor = subprocess.Popen(
        ["ip", "netns", "exec", ns, "tc", "monitor"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    seen = threading.Event()

    def read() -> None:
        for line in monitor.stdout:  # type: ignore[union-attr]
            if pattern.search(line):
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield seen
    finally:
        monitor.kill()
        monitor.wait(timeout=10)
        reader.join(timeout=10)


@dataclass
class Gateway:
    """A data directory, the settings of an agent enforcing in ``lan.gw``, and the agent
    process while it runs."""

    lan: Lan
    env: dict[str, str]
    logs: Path
    agent: subprocess.Popen[bytes] | None = None
    starts: int = 0
    log_files: list[Path] = field(default_factory=list)

    def warden(self, *argv: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "warden", *argv],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def warden_json(self, *argv: str, timeout: float = 30) -> Any:
        done = self.warden(*argv, "--json", timeout=timeout)
        assert done.returncode == 0, f"warden {' '.join(argv)}: {done.stderr}"
        return json.loads(done.stdout)

    def start(self) -> int:
        """Start the agent and wait until it runs (its first reconcile is done then: the
        heartbeat comes after it); returns its start time in epoch ms."""
        assert self.agent is None
        self.starts += 1
        log = self.logs / f"agent-{self.starts}.log"
        self.log_files.append(log)
        started_ms = int(time.time() * 1000)
        with log.open("wb") as out:
            self.agent = subprocess.Popen(
                [sys.executable, "-m", "warden", "agent"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_until(
            lambda: "agent running" in log.read_text() or self.agent.poll() is not None,  # type: ignore[union-attr]
            timeout=20,
            what="the agent to start",
        )
        assert self.agent.poll() is None, f"the agent died:\n{log.read_text()}"
        return started_ms

    def stop(self) -> None:
        assert self.agent is not None
        self.agent.send_signal(signal.SIGTERM)
        assert self.agent.wait(timeout=20) == 0, self.log()
        self.agent = None

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the power goes."""
        assert self.agent is not None
        if self.agent.poll() is None:
            os.kill(self.agent.pid, signal.SIGKILL)
        self.agent.wait(timeout=10)
        self.agent = None

    def log(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text()}" for p in self.log_files)

    def submit(self, text: str, *, wait: float) -> dict[str, Any]:
        return self.warden_json("intent", "submit", text, "--yes", "--wait", str(wait))

    def tc(self, *argv: str) -> str:
        done = in_ns(self.lan.gw, "tc", *argv)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def shaped_devices(self) -> dict[str, str]:
        """Direction → the device its classes are on: the LAN interface, and the IFB that
        uploads are redirected into, while it exists."""
        links = json.loads(in_ns(self.lan.gw, "ip", "-j", "link", "show").stdout)
        found = {"down": "lan0"}
        for link in links:
            if link["ifname"].startswith("wd-ifb"):
                found["up"] = link["ifname"]
        return found

    def kernel_classes(self) -> dict[tuple[str, int], int]:
        """(direction, class minor) → rate in bit/s, of every class Warden's intents own,
        read from the kernel with ``tc`` (iproute2 6.1 prints HTB classes as text only,
        even with ``-j``)."""
        held = {}
        for direction, dev in self.shaped_devices().items():
            for line in self.tc("class", "show", "dev", dev).splitlines():
                found = HTB_CLASS.match(line)
                assert found, line
                if found["handle"] in WARDEN_CLASSES:
                    continue
                major, minor = found["handle"].split(":")
                assert major == HTB_MAJOR, line
                rate = float(found["rate"]) * UNITS[found["unit"]]
                held[direction, int(minor, 16)] = round(rate)
        return held


@pytest.fixture
def gateway(lan: Lan, broker, tmp_path: Path) -> Iterator[Gateway]:
    require_net_admin()
    env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
    env.update(
        WARDEN_DATA_DIR=str(tmp_path / "data"),
        WARDEN_LAN_IFACES="lan0",
        WARDEN_ENFORCEMENT_NETNS=lan.gw,
        WARDEN_ENFORCEMENT="kernel",
        WARDEN_MQTT_URL=broker.url,
        WARDEN_MQTT_CLIENT_ID=f"warden-{lan.gw}",
        WARDEN_SYSLOG_HOST="127.0.0.1",
        WARDEN_SYSLOG_UDP_PORT="0",
        WARDEN_SYSLOG_TCP_PORT="0",
    )
    made = Gateway(lan=lan, env=env, logs=tmp_path)
    try:
        yield made
    finally:
        if made.agent is not None:
            made.kill()


def add_device(gateway: Gateway, device_id: str, address: str) -> None:
    gateway.warden_json("devices", "add", device_id, "--type", "camera", "--ip", address)


def wanted_classes(gateway: Gateway) -> dict[tuple[str, int], int]:
    """(direction, minor) → rate in bit/s of every shaping policy of the live intents, as
    ``warden intent show`` reports them applied."""
    wanted = {}
    for listed in gateway.warden_json("intent", "list"):
        if listed["status"] not in ("active", "planned", "scheduled"):
            continue
        shown = gateway.warden_json("intent", "show", str(listed["id"]))
        for policy in shown["policies"]:
            if policy["kind"] != "shape":
                continue
            assert policy["status"] == "applied", policy
            applied = policy["applied"]
            wanted[applied["direction"], applied["minor"]] = applied["rate_bps"]
    return wanted


def epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def same_classes(held: dict[tuple[str, int], int], wanted: dict[tuple[str, int], int]) -> bool:
    return held.keys() == wanted.keys() and all(
        abs(held[k] - wanted[k]) <= wanted[k] * RATE_TOLERANCE for k in wanted
    )


def rates(held: dict[tuple[str, int], int]) -> set[tuple[str, int]]:
    return {(direction, round(rate, -5)) for (direction, _), rate in held.items()}


@pytest.mark.root
def test_the_agent_restores_a_flushed_interface_when_it_starts_again(gateway):
    add_device(gateway, "dev-1", gateway.lan.dev_ip)
    gateway.start()
    submitted = gateway.submit("limit dev-1 to 2 mbit", wait=15)
    assert [i["status"] for i in submitted["intents"]] == ["active"], gateway.log()
    held = gateway.kernel_classes()
    assert rates(held) == {("down", 2_000_000), ("up", 2_000_000)}
    gateway.stop()

    gateway.tc("qdisc", "del", "dev", "lan0", "root")
    assert gateway.kernel_classes().keys() == {("up", m) for d, m in held if d == "up"}

    gateway.start()
    wait_until(
        lambda: gateway.kernel_classes() == held, timeout=15, what="the class to be restored"
    )
    assert same_classes(gateway.kernel_classes(), wanted_classes(gateway))


@pytest.mark.root
def test_a_killed_agent_leaves_no_drift_after_it_starts_again(gateway):
    lan = gateway.lan
    for number, last in ((1, 2), (2, 3), (3, 4)):
        add_device(gateway, f"dev-{number}", f"10.77.{lan.subnet}.{last}")
    gateway.start()
    first = gateway.submit("limit dev-1 to 2 mbit", wait=15)
    assert [i["status"] for i in first["intents"]] == ["active"], gateway.log()

    # Killed right after the intent is stored, before or while the agent picks it up.
    gateway.submit("limit dev-2 download to 3 mbit", wait=0)
    gateway.kill()
    gateway.start()

    # Killed the moment the kernel gets the new intent's first class (tc monitor reports
    # it as it happens): the rest of the apply and the database record never happen.
    with tc_events(lan.gw, FOUR_MBIT_CLASS) as seen:
        gateway.submit("limit dev-3 to 4 mbit", wait=0)
        assert seen.wait(15), "the third intent never reached the kernel"
        gateway.kill()

    restarted_ms = gateway.start()
    status = gateway.warden_json("enforcement", "status")
    assert status["last_reconcile"]["at_ms"] >= restarted_ms
    assert status["last_reconcile"]["error"] is None
    listed = gateway.warden_json("intent", "list")
    assert sorted(i["status"] for i in listed) == ["active"] * 3, gateway.log()

    held = gateway.kernel_classes()
    wanted = wanted_classes(gateway)
    assert same_classes(held, wanted), (held, wanted)
    assert rates(held) == {
        ("down", 2_000_000),
        ("up", 2_000_000),
        ("down", 3_000_000),
        ("down", 4_000_000),
        ("up", 4_000_000),
    }
    # What the first pass after the start put back is a class of a live policy, never a
    # leftover; and restoring is not drift.
    wanted_minors = {minor for _, minor in wanted}
    for entry in status["last_reconcile"]["repaired"]:
        restored = RESTORED.fullmatch(entry)
        assert restored and int(restored["minor"], 16) in wanted_minors, entry
    # Neither agent raised drift: new intents and restoring after a restart are not drift.
    drift = gateway.warden_json("findings", "list", "--rule", "enforcement.drift")
    assert drift == [], [f["summary"] for f in drift]


@pytest.mark.root
def test_an_intent_added_beside_an_active_one_is_not_drift(gateway):
    lan = gateway.lan
    add_device(gateway, "dev-1", lan.dev_ip)
    add_device(gateway, "dev-2", f"10.77.{lan.subnet}.3")
    gateway.start()
    for text in ("limit dev-1 to 2 mbit", "limit dev-2 to 3 mbit"):
        submitted = gateway.submit(text, wait=15)
        assert [i["status"] for i in submitted["intents"]] == ["active"], gateway.log()

    assert same_classes(gateway.kernel_classes(), wanted_classes(gateway))
    drift = gateway.warden_json("findings", "list", "--rule", "enforcement.drift")
    assert drift == [], drift[0]["summary"]


@pytest.mark.root
def test_enforcement_status_counts_the_policies_the_kernel_holds(gateway):
    add_device(gateway, "dev-1", gateway.lan.dev_ip)
    gateway.start()
    submitted = gateway.submit("limit dev-1 to 2 mbit", wait=15)
    assert [i["status"] for i in submitted["intents"]] == ["active"], gateway.log()

    status = gateway.warden_json("enforcement", "status")
    assert status["last_reconcile"]["applied"] == len(wanted_classes(gateway)) == 2
