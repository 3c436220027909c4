"""The nftables firewall, measured by connections through real network namespaces: a
device behind a forwarding gateway, with listeners on the gateway and on a WAN host."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from core.errors import EnforcementError
from core.ports import FirewallRule
from enforcement import nft
from enforcement.nft import NftFirewall
from tests.conftest import _unavailable
from tests.enforcement.nft_netns import Topology, servers, topology

MQTT, OTHER = 1883, 2222  # listeners on the gateway
WEB, ELSEWHERE = 8080, 8081  # listeners on the WAN host


@pytest.fixture(scope="module")
def net() -> Iterator[Topology]:
    if os.geteuid() != 0:
        _unavailable("nftables tests need root (network namespaces and nft)")
    for tool in ("nft", "ip"):
        if shutil.which(tool) is None:
            _unavailable(f"{tool} is not installed (apt-get install nftables iproute2)")
    with (
        topology() as built,
        servers(built, built.gw, [MQTT, OTHER]),
        servers(built, built.wan, [WEB, ELSEWHERE]),
    ):
        yield built


@pytest.fixture
def firewall(net: Topology) -> Iterator[NftFirewall]:
    fw = NftFirewall(
        lan_interfaces=["lan0"], wan_interface="wan0", management=["10.79.250.9"], netns=net.gw
    )
    try:
        yield fw
    finally:
        fw.clear()


def reach(net: Topology) -> dict[str, bool]:
    found = net.reachable(
        (net.gw_lan_ip, MQTT), (net.gw_lan_ip, OTHER), (net.wan_ip, WEB), (net.wan_ip, ELSEWHERE)
    )
    names = ("gw_mqtt", "gw_other", "wan_web", "wan_elsewhere")
    return dict(zip(names, found.values(), strict=True))


OPEN = {"gw_mqtt": True, "gw_other": True, "wan_web": True, "wan_elsewhere": True}


@pytest.mark.root
def test_block_cuts_the_device_off_and_an_empty_apply_restores_it(
    net: Topology, firewall: NftFirewall
) -> None:
    assert reach(net) == OPEN
    rules = [FirewallRule(net.dev_ip, "block")]
    firewall.apply(rules)

    assert reach(net) == dict.fromkeys(OPEN, False)
    assert firewall.read() == rules
    dropped = firewall.counters()[net.dev_ip]
    assert dropped["packets"] > 0 and dropped["bytes"] > 0
    firewall.apply(rules)  # unchanged: the table, and so its counters, stay
    assert firewall.counters()[net.dev_ip] == dropped

    firewall.apply([])
    assert firewall.read() == []
    assert reach(net) == OPEN


@pytest.mark.root
def test_with_nothing_desired_no_table_of_wardens_is_left(net: Topology, firewall: NftFirewall):
    firewall.apply([FirewallRule(net.dev_ip, "quarantine")])
    assert "table inet warden" in net.exec(net.gw, "nft", "list", "tables")
    firewall.apply([])
    assert "warden" not in net.exec(net.gw, "nft", "list", "tables")
    firewall.apply([])  # nothing to remove: still nothing, no error
    assert firewall.read() == []


@pytest.mark.root
def test_internet_block_keeps_the_gateway_but_not_the_wan(
    net: Topology, firewall: NftFirewall
) -> None:
    firewall.apply([FirewallRule(net.dev_ip, "internet_block")])
    assert reach(net) == {
        "gw_mqtt": True,
        "gw_other": True,
        "wan_web": False,
        "wan_elsewhere": False,
    }
    assert firewall.counters()[net.dev_ip]["packets"] > 0


@pytest.mark.root
def test_quarantine_reaches_only_the_gateway_services(net: Topology, firewall: NftFirewall) -> None:
    firewall.apply([FirewallRule(f"10.79.{net.subnet}.0/30", "quarantine")])
    assert firewall.read() == [FirewallRule(f"10.79.{net.subnet}.0/30", "quarantine")]
    assert reach(net) == {
        "gw_mqtt": True,
        "gw_other": False,
        "wan_web": False,
        "wan_elsewhere": False,
    }


@pytest.mark.root
def test_allow_only_reaches_only_its_destinations(net: Topology, firewall: NftFirewall) -> None:
    rule = FirewallRule(net.dev_ip, "allow_only", ((net.wan_ip, WEB, "tcp"),))
    firewall.apply([rule])
    assert firewall.read() == [rule]
    assert reach(net) == {
        "gw_mqtt": False,
        "gw_other": False,
        "wan_web": True,
        "wan_elsewhere": False,
    }
    assert firewall.counters()[net.dev_ip]["packets"] > 0


@pytest.mark.root
def test_a_refused_transaction_leaves_the_previous_ruleset(
    net: Topology, firewall: NftFirewall, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = [FirewallRule(net.dev_ip, "block")]
    firewall.apply(before)
    real = nft.build_commands

    def with_a_bad_jump(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        commands = real(*args, **kwargs)
        expr = [{"jump": {"target": "no_such_chain"}}]
        rule = {"family": "inet", "table": "warden", "chain": "forward", "expr": expr}
        return [*commands, {"add": {"rule": rule}}]

    monkeypatch.setattr(nft, "build_commands", with_a_bad_jump)
    with pytest.raises(EnforcementError, match="nftables refused"):
        firewall.apply([FirewallRule(net.dev_ip, "quarantine")])
    assert firewall.read() == before
    assert reach(net)["wan_web"] is False


def test_the_management_address_is_never_cut_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nft.subprocess, "run", _no_process)
    fw = NftFirewall(lan_interfaces=["lan0"], wan_interface="wan0", management=["192.0.2.7"])
    for address in ("192.0.2.7", "192.0.2.0/24", "0.0.0.0/0"):
        with pytest.raises(EnforcementError, match=r"192\.0\.2\.7"):
            fw.apply([FirewallRule(address, "block")])


@pytest.mark.parametrize(
    "rule",
    [
        FirewallRule("x;id", "block"),
        FirewallRule("10.0.0.1", "allow_only", (("x;id", 80, "tcp"),)),
        FirewallRule("10.0.0.1", "allow_only", (("10.0.0.2", 80, "x;id"),)),
    ],
)
def test_values_that_are_not_addresses_are_refused(
    rule: FirewallRule, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nft.subprocess, "run", _no_process)
    fw = NftFirewall(lan_interfaces=["lan0"], wan_interface="wan0")
    with pytest.raises(EnforcementError, match="x;id"):
        fw.apply([rule])


@pytest.mark.parametrize("names", [{"lan": "x;id", "wan": "wan0"}, {"lan": "lan0", "wan": "x;id"}])
def test_interface_names_that_are_not_names_are_refused(names: dict[str, str]) -> None:
    with pytest.raises(EnforcementError, match="x;id"):
        NftFirewall(lan_interfaces=[names["lan"]], wan_interface=names["wan"])


def test_one_block_rule_plans_one_transaction() -> None:
    commands = nft.build_commands(
        [FirewallRule("10.0.0.5", "block")],
        lan_interfaces=["lan0"],
        wan_interface="wan0",
        services=[("tcp", 1883)],
    )
    table = {"table": {"family": "inet", "name": "warden"}}
    assert commands[1:4] == [{"add": table}, {"delete": table}, {"add": table}]
    block4 = next(
        c["add"]["set"] for c in commands if c.get("add", {}).get("set", {}).get("name") == "block4"
    )
    assert block4["elem"] == ["10.0.0.5"]
    assert block4["stmt"] == [{"counter": None}]


def _no_process(*args: object, **kwargs: object) -> None:
    raise AssertionError(f"no process may be started: {args}")
