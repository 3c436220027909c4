"""Verification against a real kernel in a throwaway gateway namespace: a limit is satisfied
by the class it holds, the rate measured from the class's counters during a real TCP
transfer stays within the limit, and a class deleted by hand is a violation."""

from __future__ import annotations

import subprocess
import sys

import pytest

from core.clock import SystemClock
from core.config import load_settings
from core.models import IntentStatus, Verdict
from core.runtime import open_core
from core.services import intents
from enforcement.reconciler import Reconciler
from enforcement.verifier import Verifier
from tests.enforcement.conftest import Lan, in_ns, require_net_admin
from tests.factories import FakeClock, actor, make_device
from warden.enforcement import build_backends

LIMIT = 2_000_000
PORT = 5209

_SINK = """
import socket, sys
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((sys.argv[1], int(sys.argv[2])))
server.listen(1)
server.settimeout(10)
print("ready", flush=True)
conn, _ = server.accept()
conn.settimeout(10)
total = 0
while data := conn.recv(65536):
    total += len(data)
print(total, flush=True)
"""

_SOURCE = """
import socket, sys, time
conn = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
conn.settimeout(0.2)
chunk = b"x" * 16384
deadline = time.monotonic() + float(sys.argv[3])
while time.monotonic() < deadline:
    try:
        conn.send(chunk)
    except TimeoutError:
        pass
"""


def push(lan: Lan, seconds: float) -> int:
    """Send TCP from the gateway to the device for ``seconds``; the bytes the device got."""
    python = [sys.executable, "-c"]
    sink = subprocess.Popen(
        ["ip", "netns", "exec", lan.dev, *python, _SINK, lan.dev_ip, str(PORT)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert sink.stdout is not None
        assert sink.stdout.readline().strip() == "ready"
        source = in_ns(
            lan.gw, *python, _SOURCE, lan.dev_ip, str(PORT), str(seconds), timeout=seconds + 5
        )
        assert source.returncode == 0, source.stderr
        out, _ = sink.communicate(timeout=5)
    finally:
        sink.kill()
        sink.wait()
    return int(out)


@pytest.fixture
def gateway(lan: Lan, tmp_path):
    settings = load_settings(
        data_dir=tmp_path / "data", lan_ifaces="lan0", enforcement_netns=lan.gw
    )
    core = open_core(settings)
    backends = build_backends(settings)
    shared = {
        "shaper": backends.shaper,
        "firewall": backends.firewall,
        "link_rate_bps": settings.lan_rate_bps,
    }
    reconciler = Reconciler(core.db, FakeClock(), **shared)
    # Rates are counter deltas over real time here: the verifier runs on the system clock.
    verifier = Verifier(core.db, SystemClock(), **shared)
    try:
        yield core, reconciler, verifier, backends
    finally:
        backends.shaper.clear()
        backends.firewall.clear()
        core.close()


@pytest.mark.root
@pytest.mark.timeout(20)
def test_a_limit_is_verified_against_the_kernel(lan, gateway):
    require_net_admin()
    core, reconciler, verifier, backends = gateway
    assert backends.reasons == []  # really the kernel, not a dry run
    clock = FakeClock()
    with core.db.writer() as session:
        make_device(session, id="dev-1", type="camera", seen_at=clock.now(), ip=lan.dev_ip)
        (limit,), _ = intents.submit(
            session=session,
            text="limit dev-1 to 2 mbit",
            actor=actor(),
            now=clock.now(),
            features=None,
        )
    reconciler.reconcile()

    def shown():
        with core.db.reader() as session:
            return intents.get_intent(session=session, intent_id=limit.id)

    def down_policy():
        return next(p for p in shown().policies if p.spec.direction == "down")

    assert shown().status == IntentStatus.ACTIVE
    assert verifier.verify() == {limit.id: Verdict.SATISFIED}  # by the class held

    received = push(lan, 2.0)
    verifier.verify()
    down = down_policy()
    rate = down.measured["class_rate_bps"]
    assert 0 < rate <= LIMIT * 1.15, (rate, received)
    assert down.verdict in (Verdict.SATISFIED, Verdict.DEGRADED)
    assert received > 0

    # Someone deletes the class (and its filter) by hand.
    minor = int(down.applied["minor"])
    in_ns(lan.gw, "tc", "filter", "del", "dev", "lan0", "parent", "5744:", "prio", str(minor))
    deleted = in_ns(lan.gw, "tc", "class", "del", "dev", "lan0", "classid", f"5744:{minor:x}")
    assert deleted.returncode == 0, deleted.stderr
    assert verifier.verify() == {limit.id: Verdict.VIOLATED}
    assert "missing" in (shown().verdict_reason or "")
    assert down_policy().verdict == Verdict.VIOLATED
