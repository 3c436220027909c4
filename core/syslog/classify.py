"""Which kind of event a line is, from its program and, for the kernel, its content.

Order matters: a firewall program or a firewall log line (the kernel prints nftables/iptables
``log`` rules as ``<prefix> IN=… OUT=… SRC=…``; firewall4's prefixes are ``drop wan in:``,
``reject lan out:`` …) wins; then the OOM killer, whoever reports it; then the program (with
two content exceptions: netifd relaying a wireless setup script, ``radio0 (1290): …``, is
wifi, and uhttpd's LuCI login lines are auth); then, for the kernel or an untagged line, Wi-Fi
(interface and driver names, mac80211's station messages), then Ethernet link changes
(``eth0: Link is Down``, ``eth1: link up``) as connectivity; then the kernel is ``system``.

The wordings come from the daemons' sources and from real lines in public reports; see
tests/syslog/corpus/openwrt_lines.yaml, which the tests run through this function.
"""

from __future__ import annotations

import re

from core.syslog.record import LogClass

_BY_APP: dict[str, LogClass] = {
    **dict.fromkeys(("hostapd", "wpa_supplicant", "wpad", "wpa_cli", "hostapd_cli"), LogClass.WIFI),
    **dict.fromkeys(("dropbear", "sshd", "login", "su", "sudo"), LogClass.AUTH),
    **dict.fromkeys(("dnsmasq", "dnsmasq-dhcp", "odhcpd"), LogClass.DHCP),
    **dict.fromkeys(
        ("netifd", "pppd", "odhcp6c", "udhcpc", "mwan3", "mwan3track"), LogClass.CONNECTIVITY
    ),
    **dict.fromkeys(("fw4", "fw3", "firewall", "nftables", "iptables"), LogClass.FIREWALL),
    **dict.fromkeys(
        ("kernel", "procd", "init", "ubusd", "logd", "sysupgrade", "crond", "sysntpd", "ntpd"),
        LogClass.SYSTEM,
    ),
}
_FIREWALL_LINE = re.compile(
    r"\bIN=\S* OUT=\S* .*\bSRC=|^(?:\[\s*\d+\.\d+\]\s*)?(?:drop|reject|accept)\b[^:]{0,40}:",
    re.IGNORECASE,
)
_OOM = re.compile(r"Out of memory|oom-kill|oom_reaper|invoked oom-killer")
_WIFI_LINE = re.compile(
    r"\b(?:wlan\d+|phy\d+-\w+|ath(?:9|10|11|12)k\w*|mt76\w*|mt79\d\d\w*|brcmfmac|"
    r"cfg80211|mac80211|iwlwifi|rtw\d\d\w*|ieee80211 phy\d+)\b"
    # mac80211's station side, whatever the interface is called
    r"|\b(?:deauthenticated|disassociated) from (?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}"
    r"|\b(?:authenticate|associate) with (?:[0-9A-Fa-f]{2}:){5}|\bRX (?:Re)?AssocResp from "
)
_LINK_LINE = re.compile(r"\b(?:NIC )?Link is (?:Up|Down)\b|: link (?:up|down)\b")
_RADIO_SCRIPT = re.compile(r"radio\d+ \(\d+\): ")
_LUCI_LOGIN = re.compile(r"luci: (?:accepted|failed) login\b")


def classify(app: str | None, message: str) -> LogClass:
    """The :class:`LogClass` of a line from program ``app`` (``None``: untagged)."""
    name = app.rsplit("/", 1)[-1].lower() if app else None
    by_app = _BY_APP.get(name) if name else None
    if by_app is None and name:
        by_app = _BY_APP.get(re.split(r"[-.]", name, maxsplit=1)[0])
    if by_app is LogClass.FIREWALL:
        return by_app
    kernelish = by_app is None or name == "kernel"
    if kernelish and _FIREWALL_LINE.search(message) is not None:
        return LogClass.FIREWALL
    if _OOM.search(message) is not None:
        return LogClass.SYSTEM
    if name == "netifd" and _RADIO_SCRIPT.match(message) is not None:
        return LogClass.WIFI
    if name == "uhttpd" and _LUCI_LOGIN.search(message) is not None:
        return LogClass.AUTH
    if by_app is not None and name != "kernel":
        return by_app
    if kernelish and _WIFI_LINE.search(message) is not None:
        return LogClass.WIFI
    if kernelish and _LINK_LINE.search(message) is not None:
        return LogClass.CONNECTIVITY
    return by_app or LogClass.GENERIC
