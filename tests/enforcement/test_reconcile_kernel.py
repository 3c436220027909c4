"""From a typed intent to the kernel and back, in a throwaway gateway namespace: the
backends the agent builds from its settings, the reconciler, a class deleted by hand."""

from __future__ import annotations

import pytest

from core.config import load_settings
from core.models import FindingStatus, IntentStatus, PolicyStatus
from core.runtime import open_core
from core.services import findings, intents
from enforcement.reconciler import Reconciler
from tests.enforcement.conftest import Lan, in_ns
from tests.factories import FakeClock, actor, make_device
from warden.enforcement import build_backends


@pytest.fixture
def gateway(lan: Lan, tmp_path):
    settings = load_settings(
        data_dir=tmp_path / "data", lan_ifaces="lan0", enforcement_netns=lan.gw
    )
    core = open_core(settings)
    backends = build_backends(settings)
    reconciler = Reconciler(
        core.db,
        FakeClock(),
        shaper=backends.shaper,
        firewall=backends.firewall,
        link_rate_bps=settings.lan_rate_bps,
    )
    try:
        yield core, reconciler, backends
    finally:
        backends.shaper.clear()
        backends.firewall.clear()
        core.close()


def kernel_classes(lan: Lan) -> str:
    return in_ns(lan.gw, "tc", "class", "show", "dev", "lan0").stdout


@pytest.mark.root
def test_an_intent_is_enforced_repaired_after_drift_and_removed_on_revoke(lan, gateway):
    core, reconciler, backends = gateway
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

    with core.db.reader() as session:
        shown = intents.get_intent(session=session, intent_id=limit.id)
    assert shown.status == IntentStatus.ACTIVE
    down = next(p for p in shown.policies if p.spec.direction == "down")
    assert down.status == PolicyStatus.APPLIED
    minor = f"{down.id + 0x10:x}"
    assert f"class htb 5744:{minor} parent 5744:1" in kernel_classes(lan)
    assert "rate 2Mbit" in kernel_classes(lan)

    # Someone deletes the class (and its filter) by hand.
    in_ns(
        lan.gw, "tc", "filter", "del", "dev", "lan0", "parent", "5744:", "prio", str(int(minor, 16))
    )
    in_ns(lan.gw, "tc", "class", "del", "dev", "lan0", "classid", f"5744:{minor}")
    assert f"5744:{minor} " not in kernel_classes(lan)
    report = reconciler.reconcile()
    assert report.repaired == [f"class 0x{minor} for {lan.dev_ip} missing"]
    assert f"class htb 5744:{minor} parent 5744:1" in kernel_classes(lan)
    with core.db.reader() as session:
        (drift,) = findings.list_findings(session=session).items
    assert (drift.rule_id, drift.status) == ("enforcement.drift", FindingStatus.OPEN)

    with core.db.writer() as session:
        intents.revoke(session=session, intent_id=limit.id, actor=actor(), now=clock.now())
    reconciler.reconcile()
    assert "5744:" not in kernel_classes(lan)


@pytest.mark.root
def test_a_block_reaches_nftables_in_the_gateway_namespace(lan, gateway):
    core, reconciler, backends = gateway
    clock = FakeClock()
    with core.db.writer() as session:
        make_device(session, id="dev-1", type="camera", seen_at=clock.now(), ip=lan.dev_ip)
        intents.submit(
            session=session, text="block dev-1", actor=actor(), now=clock.now(), features=None
        )
    reconciler.reconcile()
    assert [(r.address, r.action) for r in backends.firewall.read()] == [(lan.dev_ip, "block")]
    listed = in_ns(lan.gw, "nft", "list", "set", "inet", "warden", "block4").stdout
    assert lan.dev_ip in listed
