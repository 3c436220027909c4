"""Kernel features as a port on ``Core``: every process the composition root opens gets
``GatewayKernel``, which answers what the agent published for this kernel, probes once
when nothing was published, and says "unknown" in a dry run (plans as for a full kernel)."""

from __future__ import annotations

import platform

import pytest

from core.config import load_settings
from core.models.enforcement import (
    ApplyTimings,
    EnforcementMode,
    EnforcementState,
    KernelFeatureList,
)
from core.ports import KernelFeatures
from core.services import enforcement_state
from enforcement import probe
from warden.cli.context import CliContext
from warden.enforcement import GatewayKernel, has_net_admin, open_gateway

NO_NETEM = KernelFeatures(
    qdiscs=frozenset({"htb", "fq_codel"}), classifiers=frozenset({"u32"}), actions=frozenset()
)
needs_net_admin = pytest.mark.skipif(
    not has_net_admin(), reason="planning uses the kernel only with CAP_NET_ADMIN"
)


@pytest.fixture
def gateway(data_dir, monkeypatch):
    monkeypatch.setenv("WARDEN_DATA_DIR", str(data_dir))
    monkeypatch.setenv("WARDEN_LAN_IFACES", "lan0")
    core = open_gateway(load_settings())
    try:
        yield core
    finally:
        core.close()


def _publish(core, kernel: str) -> None:
    """What the agent's reconciler publishes after each pass."""
    state = EnforcementState(
        mode=EnforcementMode(tc="kernel", nft="kernel"),
        apply_seconds=ApplyTimings(buckets={}, sum=0.0, count=0),
        features=KernelFeatureList(
            kernel=kernel,
            qdiscs=sorted(NO_NETEM.qdiscs),
            classifiers=sorted(NO_NETEM.classifiers),
            actions=[],
        ),
        at_ms=0,
    )
    with core.db.writer() as session:
        enforcement_state.publish(session=session, state=state, now=core.clock.now())


def test_every_command_gets_the_gateways_kernel_port(data_dir, monkeypatch):
    monkeypatch.setenv("WARDEN_DATA_DIR", str(data_dir))
    context = CliContext(None)
    try:
        assert isinstance(context.core.kernel, GatewayKernel)
    finally:
        context.close()


@needs_net_admin
def test_what_the_agent_published_for_this_kernel_is_used(gateway, monkeypatch):
    monkeypatch.setattr(probe, "probe_features", lambda _netns: pytest.fail("probed"))
    _publish(gateway, platform.release())
    assert gateway.kernel.features() == NO_NETEM


@needs_net_admin
def test_another_kernels_features_are_not_trusted_and_a_probe_runs_once(gateway, monkeypatch):
    probes = []
    monkeypatch.setattr(probe, "probe_features", lambda netns: probes.append(netns) or NO_NETEM)
    _publish(gateway, "0.0.0-another-kernel")
    assert gateway.kernel.features() == NO_NETEM
    assert gateway.kernel.features() == NO_NETEM
    assert len(probes) == 1


def test_a_dry_run_plans_as_for_a_full_kernel(gateway, monkeypatch):
    monkeypatch.setenv("WARDEN_ENFORCEMENT", "dry-run")
    monkeypatch.setattr(probe, "probe_features", lambda _netns: pytest.fail("probed"))
    dry = open_gateway(load_settings())
    try:
        _publish(dry, platform.release())
        assert dry.kernel.features() is None
    finally:
        dry.close()
