"""`warden enforcement clear` in a throwaway gateway namespace: what Warden put in the kernel
(HTB classes, the IFB device, table inet warden) is gone afterwards, and it is refused while
the agent runs."""

from __future__ import annotations

import os

import pytest

from core.ports import FirewallRule, ShapeClass
from enforcement.nft import NftFirewall
from enforcement.probe import probe_features
from enforcement.tc import NetlinkShaper
from tests.cli.conftest import Warden
from tests.enforcement.conftest import Lan, in_ns, require_net_admin

LINK = 100_000_000


@pytest.fixture
def warden_in(lan: Lan, data_dir, monkeypatch) -> Warden:
    require_net_admin()
    warden = Warden(data_dir)
    warden.env.update(
        WARDEN_LAN_IFACES="lan0",
        WARDEN_ENFORCEMENT="kernel",
        WARDEN_ENFORCEMENT_NETNS=lan.gw,
    )
    return warden


def enforce_something(lan: Lan) -> None:
    shaper = NetlinkShaper(
        "lan0", link_rate_bps=LINK, netns=lan.gw, features=probe_features(lan.gw)
    )
    shaper.apply(
        [
            ShapeClass(0x10, lan.dev_ip, "down", 2_000_000, 2_000_000, 4, None, "fq_codel"),
            ShapeClass(0x11, lan.dev_ip, "up", 2_000_000, 2_000_000, 4, None, "fq_codel"),
        ]
    )
    NftFirewall(lan_interfaces=["lan0"], wan_interface=None, netns=lan.gw).apply(
        [FirewallRule(lan.dev2_ip, "block")]
    )


def kernel(lan: Lan) -> str:
    return "\n".join(
        in_ns(lan.gw, *argv).stdout
        for argv in (
            ["tc", "qdisc", "show", "dev", "lan0"],
            ["ip", "link"],
            ["nft", "list", "tables"],
        )
    )


@pytest.mark.root
def test_clear_removes_every_trace_of_warden_from_the_kernel(lan: Lan, warden_in: Warden):
    enforce_something(lan)
    before = kernel(lan)
    assert "htb 5744:" in before and "wd-ifb" in before and "table inet warden" in before

    done = warden_in("enforcement", "clear", "--yes")
    assert done.exit_code == 0, done.output
    assert "2 tc classes and 1 firewall rules" in done.stderr
    after = kernel(lan)
    assert "htb" not in after
    assert "wd-ifb" not in after
    assert "warden" not in after


@pytest.mark.root
def test_clear_is_refused_while_the_agent_runs(lan: Lan, warden_in: Warden, data_dir):
    from core.config import load_settings
    from core.runtime import open_core
    from core.services import runtime

    enforce_something(lan)
    core = open_core(load_settings(data_dir=data_dir))
    with core.db.writer() as session:
        runtime.put_state(
            session=session,
            key=runtime.AGENT_KEY,
            value={"pid": os.getpid()},
            now=core.clock.now(),
        )
    core.close()
    refused = warden_in("enforcement", "clear", "--yes")
    assert refused.exit_code == 2
    assert "the agent is running" in refused.stderr
    assert "table inet warden" in kernel(lan)
