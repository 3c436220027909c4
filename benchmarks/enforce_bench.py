"""``warden bench enforce``: what an operator waits for after ``warden intent submit``: the
intents service (the one the CLI, the REST API and both consoles call) storing the intent,
then a running agent noticing it and changing the kernel, until the kernel holds the new
class; against the same change made by spawning ``tc`` as a shell script would, in the
same run.

Everything runs in two throwaway network namespaces (``wdbench-<hex>`` the gateway,
``wdbench-<hex>-d`` the device), made with ``ip`` argument vectors and deleted afterwards,
so the host's interfaces are never touched::

    device ns  eth0 10.99.0.2 ═ lan0 10.99.0.1   gateway ns   (Warden's interface)
               eth1 10.98.0.2 ═ lan1 10.98.0.1                (the tc peer's interface)

Each path has its own interface, so neither sees the other's qdiscs, classes or filters.

- Warden (``p50_ms``, ``p99_ms``, ``through_agent: true``): a fresh SQLite database under
  the work directory with device ``bench-dev`` (10.99.0.2), and ``warden agent`` started as
  its own process inside the gateway namespace (``ip netns exec GW python -m warden agent``,
  ``WARDEN_LAN_IFACES=lan0``, MQTT and syslog collectors disabled: nothing else to do), as
  an operator runs it. A run is ``intents.submit("limit download of bench-dev to R mbit",
  replaces=[the previous intent])`` in this process with R alternating 2 and 3, then
  waiting until the kernel holds a "down" class for 10.99.0.2 at R Mbit/s: a netlink socket
  in the gateway namespace subscribed to tc events wakes this process on every change the
  agent makes, and the class is then read back (``NetlinkShaper.read``, a socket of its
  own). ``submit_p50_ms`` is the median of the submit alone, ``reconcile_p50_ms`` the
  median from its return to the kernel holding the class (the agent's wake-up and pass).
  The download direction only, so both paths make the same kernel change (one HTB class and
  one u32 filter on the LAN interface).
- tc subprocess (``tc_subprocess_p50_ms``, ``tc_subprocess_p99_ms``): on ``lan1``, whose
  root HTB (``1:``) is made before the clock starts, a run is three processes, as a script
  would spawn them (argument vectors, no shell): ``ip netns exec GW tc class replace ...
  classid 1:10 htb rate R ceil R``, ``... tc filter replace ... prio 10 handle 800::800 u32
  match ip dst 10.98.0.2/32 flowid 1:10`` and ``... tc -j class show dev lan1``, whose
  output must show class 1:10 at R Mbit/s. The filter's handle is given: without one,
  ``tc filter replace`` adds a new u32 key on every run instead of replacing it.

The two paths take turns (a Warden run, then a tc run), so both see the same machine; each
gets one untimed warm-up run (Warden's creates its root qdisc), then ``runs`` timed ones,
every one a real change of the rate. Percentiles are nearest rank over the sorted times
(p99 of 200 runs is the 198th); ``target_p99_ms`` is the p99 Warden aims at,
``meets_target`` says whether it is under it and under tc's p99, and
``faster_than_subprocess`` compares the p99s. ``failures`` counts Warden runs whose class
was not read back within ``RUN_TIMEOUT_S`` (``failed_runs`` says why, first ten). Needs
root with CAP_NET_ADMIN; without it, or without ``ip``/``tc``, ``run`` raises
``EnforcementError``.
"""

from __future__ import annotations

import math
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks.bench_netns import (
    WARDEN_DEV,
    WARDEN_LINK,
    TcEvents,
    has_net_admin,
    namespaces,
    tool,
)
from benchmarks.tc_peer import SubprocessPath
from core.clock import SystemClock
from core.db import Database
from core.errors import EnforcementError
from core.models import Actor, DeviceCreate
from core.services import devices, enforcement_state, intents
from enforcement.probe import probe_features
from enforcement.tc import NetlinkShaper

DEVICE = "bench-dev"
LINK_RATE_BPS = 1_000_000_000
RATES_MBIT = (2, 3)
TARGET_P99_MS = 50
AGENT_START_S = 60
RUN_TIMEOUT_S = 10
EVENT_WAIT_S = 0.5
"""A read-back at least this often while waiting, should a tc event be missed."""
NEEDS_ROOT = "warden bench enforce needs root (CAP_NET_ADMIN) to create a network namespace"


def _percentile(sorted_ms: list[float], q: float) -> float:
    """Nearest rank: the smallest value with at least ``q`` of the values at or below it."""
    return sorted_ms[max(math.ceil(q * len(sorted_ms)) - 1, 0)]


def _figures(times_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(times_ms)
    return round(_percentile(ordered, 0.50), 3), round(_percentile(ordered, 0.99), 3)


# ------------------------------------------------------------------------- Warden's path


@contextmanager
def _running_agent(gw: str, workdir: Path, url: str) -> Iterator[subprocess.Popen[bytes]]:
    """``warden agent`` inside the gateway namespace on ``url``, shaping ``lan0``, until
    its first reconcile pass is published; stopped (SIGTERM) after."""
    home = workdir / "agent"
    home.mkdir()
    env = {
        **os.environ,
        "WARDEN_DATA_DIR": str(home),
        "WARDEN_DATABASE_URL": url,
        "WARDEN_LAN_IFACES": WARDEN_LINK,
        "WARDEN_LAN_RATE_BPS": str(LINK_RATE_BPS),
        "WARDEN_DISABLED_COLLECTORS": "mqtt,syslog",
        "WARDEN_LOG_LEVEL": "WARNING",
    }
    env.pop("WARDEN_ENFORCEMENT_NETNS", None)
    env.pop("WARDEN_CONFIG", None)
    log_path = home / "agent.log"
    with log_path.open("wb") as log_file:
        agent = subprocess.Popen(
            [tool("ip"), "netns", "exec", gw, sys.executable, "-m", "warden", "agent"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_published(Database(url), agent, log_path)
        yield agent
    finally:
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(timeout=30)
        except subprocess.TimeoutExpired:
            agent.kill()
            agent.wait()
        shutil.rmtree(home, ignore_errors=True)


def _wait_published(db: Database, agent: subprocess.Popen[bytes], log_path: Path) -> None:
    """Until the agent published its first reconcile pass (it is then watching)."""
    deadline = time.monotonic() + AGENT_START_S
    try:
        while time.monotonic() < deadline:
            if agent.poll() is not None:
                tail = log_path.read_text(errors="replace")[-800:]
                raise EnforcementError(f"warden agent stopped at start: {tail}")
            with db.reader() as session:
                if enforcement_state.read(session=session, now=SystemClock().now()):
                    return
            time.sleep(0.1)
    finally:
        db.dispose()
    raise EnforcementError(f"warden agent published no enforcement state in {AGENT_START_S} s")


class _WardenPath:
    """The device in the database, ``warden agent`` shaping ``lan0``; ``step`` is one run."""

    def __init__(self, gw: str, db: Database) -> None:
        self.db = db
        self.clock = SystemClock()
        self.actor = Actor.system("bench")
        self.shaper = NetlinkShaper(
            WARDEN_LINK, link_rate_bps=LINK_RATE_BPS, netns=gw, features=probe_features(gw)
        )
        self.events = TcEvents(gw)
        self.previous: int | None = None
        with self.db.writer() as session:
            devices.register_device(
                session=session,
                create=DeviceCreate(id=DEVICE, type="camera", ip=WARDEN_DEV),
                actor=self.actor,
            )

    def _holds(self, rate_mbit: int) -> bool:
        return any(
            c.address == WARDEN_DEV and c.direction == "down" and c.rate_bps == rate_mbit * 10**6
            for c in self.shaper.read()
        )

    def step(self, rate_mbit: int) -> tuple[float, float, float, str | None]:
        """(total, submit, until the kernel held it) ms, and why the run failed."""
        self.events.drain()  # what earlier runs left queued
        t0 = time.perf_counter()
        with self.db.writer() as session:
            stored, _ = intents.submit(
                session=session,
                text=f"limit download of {DEVICE} to {rate_mbit} mbit",
                actor=self.actor,
                now=self.clock.now(),
                replaces=[self.previous] if self.previous is not None else [],
                features=None,
            )
        t1 = time.perf_counter()
        deadline = t1 + RUN_TIMEOUT_S
        held = False  # the agent has not acted yet: read when the kernel says it changed
        while not held and time.perf_counter() < deadline:
            self.events.wait(min(EVENT_WAIT_S, max(deadline - time.perf_counter(), 0)))
            held = self._holds(rate_mbit)
        t2 = time.perf_counter()
        self.previous = stored[0].id
        why = None if held else f"{rate_mbit} Mbit/s not held after {RUN_TIMEOUT_S} s"
        return (t2 - t0) * 1000, (t1 - t0) * 1000, (t2 - t1) * 1000, why

    def close(self) -> None:
        self.events.close()
        self.shaper.close()


# ------------------------------------------------------------------ the tc subprocess peer


# ------------------------------------------------------------------------------- the run


def run(workdir: Path, *, runs: int = 200) -> dict[str, Any]:
    if not has_net_admin():
        raise EnforcementError(NEEDS_ROOT, title="Needs root")
    for name in ("ip", "tc"):
        tool(name)
    workdir.mkdir(parents=True, exist_ok=True)
    scratch = workdir / f"enforce-{secrets.token_hex(4)}"
    scratch.mkdir()
    url = f"sqlite:///{scratch / 'warden.db'}"
    db = Database(url)
    total: list[float] = []
    submit: list[float] = []
    until_held: list[float] = []
    failures: list[str] = []
    tc_total: list[float] = []
    tc_failures: list[str] = []
    try:
        db.migrate()
        with namespaces() as gw, _running_agent(gw, scratch, url):
            warden = _WardenPath(gw, db)
            try:
                peer = SubprocessPath(gw)
                # Interleaved, so both paths see the same machine; run 0 of each warms up
                # (Warden's makes its root qdisc).
                for i in range(runs + 1):
                    rate = RATES_MBIT[i % 2]
                    ms, submit_ms, held_ms, why = warden.step(rate)
                    tc_ms, tc_why = peer.step(rate)
                    if i == 0:
                        continue
                    total.append(ms)
                    submit.append(submit_ms)
                    until_held.append(held_ms)
                    tc_total.append(tc_ms)
                    failures += [f"run {i}: {why}"] if why else []
                    tc_failures += [f"run {i}: {tc_why}"] if tc_why else []
                leaf = "fq_codel" if "fq_codel" in warden.shaper.features().qdiscs else "pfifo"
                filters_left = peer.filters()
            finally:
                warden.close()
    finally:
        db.dispose()
        shutil.rmtree(scratch, ignore_errors=True)
    p50, p99 = _figures(total)
    tc_p50, tc_p99 = _figures(tc_total)
    return {
        "benchmark": "enforce",
        "through_agent": True,
        "runs": len(total),
        "failures": len(failures),
        "failed_runs": failures[:10],
        "p50_ms": p50,
        "p99_ms": p99,
        "max_ms": round(max(total), 3),
        "submit_p50_ms": round(statistics.median(submit), 3),
        "reconcile_p50_ms": round(statistics.median(until_held), 3),
        "leaf": leaf,
        "tc_subprocess_runs": len(tc_total),
        "tc_subprocess_failures": len(tc_failures),
        "tc_subprocess_failed_runs": tc_failures[:10],
        "tc_subprocess_p50_ms": tc_p50,
        "tc_subprocess_p99_ms": tc_p99,
        "tc_subprocess_filters_left": filters_left,
        "target_p99_ms": TARGET_P99_MS,
        "meets_target": p99 < TARGET_P99_MS and p99 < tc_p99,
        "faster_than_subprocess": p99 < tc_p99,
        "percentiles": "nearest rank over the sorted run times",
        "method": (
            "one device in a throwaway gateway namespace; Warden: intents.submit (the "
            "service behind warden intent submit) in this process, then a running warden "
            "agent in the gateway namespace applies it; timed until NetlinkShaper.read "
            "holds the new download rate (woken by the namespace's tc events); peer: ip "
            "netns exec tc class replace + filter replace + tc -j class show on a second "
            "veth; rate alternating 2/3 Mbit, runs interleaved after one warm-up each"
        ),
    }
