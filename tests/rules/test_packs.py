"""The shipped packs load, and every log rule matches real OpenWRT lines and not near misses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.rules import AverageRule, PatternRule, RulePackError, load_packs

PACKS = Path(__file__).resolve().parents[2] / "data" / "rules"
RULES = {r.id: r for r in load_packs(PACKS)}

# (rule id, app, class, message, matches?)
EXAMPLES = [
    ("wifi.auth-failures", "hostapd", "wifi",
     "wlan0: AP-STA-POSSIBLE-PSK-MISMATCH 3c:22:fb:12:34:56", True),
    ("wifi.auth-failures", "hostapd", "wifi",
     "wlan1: STA 3c:22:fb:12:34:56 WPA: pairwise key handshake failed (RSN) after 4 tries", True),
    ("wifi.auth-failures", "hostapd", "wifi",
     "wlan0: STA 3c:22:fb:12:34:56 WPA: pairwise key handshake completed (RSN)", False),
    ("wifi.deauth-flood", "hostapd", "wifi",
     "wlan1: STA 3c:22:fb:12:34:56 IEEE 802.11: deauthenticated due to local deauth request",
     True),
    ("wifi.deauth-flood", "hostapd", "wifi",
     "wlan0: STA 3c:22:fb:12:34:56 IEEE 802.11: disassociated", True),
    ("wifi.deauth-flood", "hostapd", "wifi",
     "wlan0: STA 3c:22:fb:12:34:56 IEEE 802.11: authenticated", False),
    ("wifi.dfs-radar", "hostapd", "wifi",
     "wlan0: DFS-RADAR-DETECTED freq=5500 ht_enabled=1 chan_offset=0 chan_width=3 cf1=5530 cf2=0",
     True),
    ("wifi.dfs-radar", "hostapd", "wifi",
     "wlan0: DFS-CAC-START freq=5500 chan=100 sec_chan=1, width=1, seg0=106, seg1=0, cac_time=60s",
     False),
    ("wifi.low-signal", "wpa_supplicant", "wifi",
     "wlan0: CTRL-EVENT-SIGNAL-CHANGE above=0 signal=-78 noise=-95 txrate=65000", True),
    ("wifi.low-signal", "hostapd", "wifi",
     "wlan0: STA 3c:22:fb:12:34:56 signal: -81 dBm", True),
    ("wifi.low-signal", "wpa_supplicant", "wifi",
     "wlan0: CTRL-EVENT-SIGNAL-CHANGE above=1 signal=unknown", False),
    ("wifi.driver-crash", "kernel", "wifi",
     "[123458.500000] ath10k_pci 0000:01:00.0: firmware crashed! (guid 0b6a4b3c-5e2f)", True),
    ("wifi.driver-crash", "kernel", "wifi",
     "[   12.100000] brcmfmac: brcmf_fw_crashed: Firmware has halted or crashed", True),
    ("wifi.driver-crash", "kernel", "wifi",
     "[   10.2] ath10k_pci 0000:01:00.0: firmware ver 10.4-3.9.0.2-00131 api 5", False),
    ("security.ssh-login-failures", "dropbear", "auth",
     "Bad password attempt for 'root' from 203.0.113.7:52144", True),
    ("security.ssh-login-failures", "dropbear", "auth",
     "Login attempt for nonexistent user from 192.168.1.50:40022", True),
    ("security.ssh-login-failures", "sshd", "auth",
     "Failed password for invalid user admin from 10.0.0.9 port 22 ssh2", True),
    ("security.ssh-login-failures", "dropbear", "auth",
     "Password auth succeeded for 'root' from 192.168.1.50:40022", False),
    ("security.port-scan", "kernel", "firewall",
     "[123457.000001] drop wan in: IN=eth1 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "
     "SRC=198.51.100.23 DST=203.0.113.2 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4321 DF PROTO=TCP "
     "SPT=44321 DPT=23 WINDOW=64240 RES=0x00 SYN URGP=0", True),
    ("security.port-scan", "kernel", "firewall",
     "[123457.1] drop wan in: IN=eth1 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "
     "SRC=198.51.100.23 DST=203.0.113.2 LEN=84 TTL=52 ID=0 DF PROTO=ICMP TYPE=8 CODE=0", False),
    ("connectivity.interface-flapping", "netifd", "connectivity",
     "Interface 'wan' is now down", True),
    ("connectivity.interface-flapping", "netifd", "connectivity",
     "Network device 'eth1' link is up", True),
    ("connectivity.interface-flapping", "netifd", "connectivity",
     "Interface 'wan' is setting up now", False),
    ("connectivity.dhcp-failures", "dnsmasq-dhcp", "dhcp",
     "DHCPNAK(br-lan) 192.168.1.100 aa:bb:cc:dd:ee:ff wrong address", True),
    ("connectivity.dhcp-failures", "dnsmasq-dhcp", "dhcp",
     "DHCPDISCOVER(br-lan) aa:bb:cc:dd:ee:ff no address available", True),
    # No range for the network a request came from is a pool problem, not one client's:
    ("connectivity.dhcp-pool-exhausted", "dnsmasq-dhcp", "dhcp",
     "no address range available for DHCP request via br-guest", True),
    ("connectivity.dhcp-pool-exhausted", "odhcpd", "dhcp",
     "Can't assign any IP address, DHCP pool exhausted on lan", True),
    ("connectivity.dhcp-pool-exhausted", "dnsmasq-dhcp", "dhcp",
     "DHCPNAK(br-lan) 192.168.1.100 aa:bb:cc:dd:ee:ff wrong address", False),
    ("wifi.auth-flood", "hostapd", "wifi",
     "phy0-ap0: AP-STA-POSSIBLE-PSK-MISMATCH 74:38:b7:00:00:01", True),
    ("wifi.auth-flood", "hostapd", "wifi",
     "phy0-ap0: AP-STA-CONNECTED 74:38:b7:00:00:01 auth_alg=sae", False),
    ("wifi.client-deauths", "hostapd", "wifi",
     "phy2-ap0: STA 1c:91:80:00:00:01 IEEE 802.11: deauthenticated due to inactivity "
     "(timer DEAUTH/REMOVE)", True),
    ("wifi.client-deauths", "hostapd", "wifi",
     "phy2-ap0: STA 1c:91:80:00:00:01 IEEE 802.11: associated (aid 3)", False),
    ("connectivity.dhcp-failures", "dnsmasq-dhcp", "dhcp",
     "DHCPACK(br-lan) 192.168.1.100 aa:bb:cc:dd:ee:ff phone-anna", False),
    ("connectivity.wan-down", "netifd", "connectivity", "Interface 'wan' is now down", True),
    ("connectivity.wan-down", "netifd", "connectivity", "Interface 'wan6' is now down", True),
    ("connectivity.wan-down", "netifd", "connectivity", "Interface 'lan' is now down", False),
    ("connectivity.wan-down", "netifd", "connectivity", "Interface 'wan' is now up", False),
    ("health.oom-killer", "kernel", "system",
     "[123456.789012] Out of memory: Killed process 2345 (uhttpd) total-vm:5120kB, "
     "anon-rss:1024kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:24kB oom_score_adj:0", True),
    ("health.oom-killer", "kernel", "system",
     "[123456.7] uhttpd invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0",
     False),
    ("health.memory-pressure", "kernel", "system",
     "[ 8123.4] kworker/0:1: page allocation failure: order:2, mode:0x40820(GFP_ATOMIC)", True),
    ("health.memory-pressure", "kernel", "system", "[ 8123.4] Memory: 118200K/131072K", False),
    ("health.cpu-stall", "kernel", "system",
     "[ 9001.0] rcu: INFO: rcu_sched self-detected stall on CPU", True),
    ("health.cpu-stall", "kernel", "system",
     "[ 9001.0] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:2:123]", True),
    ("health.cpu-stall", "kernel", "system",
     "[    0.0] rcu: Hierarchical RCU implementation.", False),
    ("iot.ota-failed", "esp32", "generic",
     "esp_https_ota: Image validation failed, image is corrupted", True),
    ("iot.ota-failed", "sysupgrade", "system", "Image check 'platform_check_image' failed.", False),
    ("iot.ota-failed", "sysupgrade", "system", "sysupgrade aborted: image check failed", True),
    ("iot.ota-failed", "esp32", "generic", "OTA update succeeded, rebooting", False),
]  # fmt: skip


def test_every_pack_loads_with_its_pack_name() -> None:
    assert {r.pack for r in RULES.values()} == {"wifi", "security", "connectivity", "health", "iot"}
    assert all(r.id.startswith(f"{r.pack}.") for r in RULES.values())


@pytest.mark.parametrize(("rule_id", "app", "log_class", "message", "expected"), EXAMPLES)
def test_examples(rule_id: str, app: str, log_class: str, message: str, expected: bool) -> None:
    rule = RULES[rule_id]
    assert isinstance(rule, PatternRule | AverageRule)
    assert (re.search(rule.regex, message) is not None) is expected


def test_every_log_rule_has_a_positive_and_a_negative_example() -> None:
    log_rules = {i for i, r in RULES.items() if isinstance(r, PatternRule | AverageRule)}
    assert log_rules == {e[0] for e in EXAMPLES if e[4]}
    assert log_rules == {e[0] for e in EXAMPLES if not e[4]}


def test_examples_pass_the_rule_class_and_app_filters() -> None:
    from core.rules import LogEvent

    for rule_id, app, log_class, message, expected in EXAMPLES:
        if expected:
            event = LogEvent(0, 1, "ap", app, log_class, message)
            assert RULES[rule_id].selects(event), (rule_id, message)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


RULE = """
  - id: {id}
    name: A rule
    kind: {kind}
    severity: low
    regex: '{regex}'
    window_s: 60
"""


def test_bad_regex_names_file_and_rule(tmp_path: Path) -> None:
    _write(tmp_path, "mine.yaml", "rules:" + RULE.format(id="mine.bad", kind="pattern", regex="("))
    with pytest.raises(RulePackError, match=r"mine\.yaml: rule 'mine\.bad': regex") as info:
        load_packs(tmp_path)
    assert info.value.title == "Invalid rule pack"


def test_unknown_kind_names_file_and_rule(tmp_path: Path) -> None:
    _write(tmp_path, "mine.yaml", "rules:" + RULE.format(id="mine.odd", kind="magic", regex="x"))
    with pytest.raises(RulePackError, match=r"mine\.yaml: rule 'mine\.odd': .*magic"):
        load_packs(tmp_path)


def test_duplicate_id_across_files_names_both(tmp_path: Path) -> None:
    one = RULE.format(id="dup.rule", kind="pattern", regex="x")
    _write(tmp_path, "a.yaml", "rules:" + one)
    _write(tmp_path, "b.yaml", "rules:" + one)
    with pytest.raises(RulePackError, match=r"b\.yaml: rule 'dup\.rule': duplicate id.*a\.yaml"):
        load_packs(tmp_path)


def test_duplicate_id_within_a_file(tmp_path: Path) -> None:
    one = RULE.format(id="dup.rule", kind="pattern", regex="x")
    _write(tmp_path, "a.yaml", "rules:" + one + one)
    with pytest.raises(RulePackError, match="duplicate id"):
        load_packs(tmp_path)


def test_key_naming_an_unknown_group(tmp_path: Path) -> None:
    text = "rules:" + RULE.format(id="k.bad", kind="pattern", regex="x") + "    key: '{mac}'\n"
    _write(tmp_path, "k.yaml", text)
    with pytest.raises(RulePackError, match=r"rule 'k\.bad': key names mac"):
        load_packs(tmp_path)


def test_average_rule_needs_a_value_group(tmp_path: Path) -> None:
    text = "rules:" + RULE.format(id="a.avg", kind="average", regex=r"signal=(\d+)")
    text += "    min_count: 3\n    op: '<'\n    bound: 1\n"
    _write(tmp_path, "a.yaml", text)
    with pytest.raises(RulePackError, match=r"rule 'a\.avg': regex: .*value"):
        load_packs(tmp_path)


def test_bad_yaml(tmp_path: Path) -> None:
    _write(tmp_path, "broken.yaml", "rules: [\n")
    with pytest.raises(RulePackError, match=r"broken\.yaml: not valid YAML"):
        load_packs(tmp_path)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_shipped_rule_says_what_it_means_and_what_to_do(rule_id: str) -> None:
    """A finding shows its rule's description and remediation: none may be missing."""
    rule = RULES[rule_id]
    assert len(rule.description.split()) >= 5, rule_id
    assert len(rule.remediation.split()) >= 5, rule_id
