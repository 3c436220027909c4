"""Names and values from settings and intents never reach a shell: an interface name or an
address with shell syntax is refused before anything runs, and applying a firewall starts
only ``nft`` (through ``ip netns exec`` in a namespace), never ``/bin/sh``."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from core.config import Settings
from core.errors import EnforcementError
from core.ports import FirewallRule
from enforcement import nft
from enforcement.nft import NftFirewall
from enforcement.tc import NetlinkShaper
from tests.conftest import _unavailable
from tests.enforcement.conftest import add_netns, ip, require_net_admin

BAD_NAMES = ["x;id", "$(id)", "`id`", "lan0 id", "a|b", "a" * 16, ""]
SHELLS = {"sh", "/bin/sh", "/usr/bin/sh", "bash", "/bin/bash", "/usr/bin/bash"}


def _no_process(*args: object, **kwargs: object) -> None:
    raise AssertionError(f"no process may be started: {args}")


@pytest.mark.parametrize("field", ["lan_ifaces", "wan_iface"])
def test_settings_refuse_an_interface_name_with_shell_syntax(field: str, tmp_path) -> None:
    with pytest.raises(ValidationError, match="not a network interface name"):
        Settings(data_dir=tmp_path, **{field: "x;id"})
    with pytest.raises(ValidationError, match="not a network interface name"):
        Settings(data_dir=tmp_path, **{field: "lan0,x;id"})


@pytest.mark.parametrize("name", BAD_NAMES)
def test_the_shaper_refuses_a_name_no_interface_can_have(name: str) -> None:
    with pytest.raises(EnforcementError, match="not a valid interface name"):
        NetlinkShaper(name, link_rate_bps=1_000_000_000)


@pytest.mark.parametrize("name", [n for n in BAD_NAMES if n])
def test_the_firewall_refuses_a_name_no_interface_can_have(name: str) -> None:
    with pytest.raises(EnforcementError, match="not a valid interface name"):
        NftFirewall(lan_interfaces=[name], wan_interface=None)
    with pytest.raises(EnforcementError, match="not a valid interface name"):
        NftFirewall(lan_interfaces=["lan0"], wan_interface=name)


@pytest.mark.parametrize(
    "rule",
    [
        FirewallRule("10.0.0.1;id", "block"),
        FirewallRule("10.0.0.1/24;id", "quarantine"),
        FirewallRule("$(id)", "internet_block"),
        FirewallRule("10.0.0.1", "allow_only", (("10.0.0.2;id", 443, "tcp"),)),
    ],
)
def test_an_address_with_shell_syntax_is_refused_before_nft_runs(
    rule: FirewallRule, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nft.subprocess, "run", _no_process)
    firewall = NftFirewall(lan_interfaces=["lan0"], wan_interface="wan0")
    with pytest.raises(EnforcementError, match="is not an IP address or network"):
        firewall.apply([rule])


@pytest.fixture
def namespace() -> Iterator[str]:
    require_net_admin()
    if shutil.which("nft") is None:
        _unavailable("nft is not installed (apt-get install nftables)")
    name = f"wd-noshell-{secrets.token_hex(4)}"
    add_netns(name)
    try:
        yield name
    finally:
        ip("netns", "del", name)


@pytest.mark.root
def test_applying_the_firewall_spawns_nft_and_never_a_shell(
    namespace: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spawned: list[tuple[list[str], Any]] = []
    real_init = subprocess.Popen.__init__

    def recording_init(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        argv = [args] if isinstance(args, str) else [str(a) for a in args]
        spawned.append((argv, kwargs.get("shell", False)))
        real_init(self, args, *rest, **kwargs)

    monkeypatch.setattr(subprocess.Popen, "__init__", recording_init)
    firewall = NftFirewall(lan_interfaces=["lan0"], wan_interface="wan0", netns=namespace)
    try:
        firewall.apply(
            [
                FirewallRule("10.0.0.5", "block"),
                FirewallRule("10.0.1.0/24", "quarantine"),
                FirewallRule("10.0.0.9", "allow_only", (("192.0.2.1", 443, "tcp"),)),
            ]
        )
        assert {r.address for r in firewall.read()} == {"10.0.0.5", "10.0.1.0/24", "10.0.0.9"}
    finally:
        firewall.clear()
    assert spawned, "applying the firewall ran nft"
    for argv, shell in spawned:
        assert not shell, argv
        assert argv[0] not in SHELLS, argv
        # In a namespace: ``ip netns exec <ns> nft ...``; nft itself otherwise.
        command = argv[4:] if argv[0] == "ip" else argv
        if argv[0] == "ip":
            assert argv[1:4] == ["netns", "exec", namespace], argv
        assert command[0] == "nft", argv
        assert not any(word in SHELLS or word == "-c" for word in command), argv
