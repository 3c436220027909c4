"""What the simulated OpenWRT boxes print: the daemons' own wordings, as templates.

Every template is the wording of a real line in tests/syslog/corpus/openwrt_lines.yaml (the
corpus names the daemon source and the report each comes from) with its variable parts as
``{placeholders}``; a test checks that each still matches a corpus line of the same program,
so the demo never shows a line OpenWRT would not print.
"""

from __future__ import annotations

import re

MAC_RE = r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}"
PLACEHOLDERS: dict[str, str] = {
    "up": r"\[\s*\d+\.\d+\]",
    "radio": r"[\w.-]+",
    "iface": r"[\w.-]+",
    "mac": MAC_RE,
    **dict.fromkeys(("ip", "dst"), r"\d{1,3}(?:\.\d{1,3}){3}"),
    "sport": r"\d+",
    **dict.fromkeys(
        ("port", "n", "aid", "pid", "secs", "len", "ttl", "id", "window", "fails"), r"\d+"
    ),
    **dict.fromkeys(("vm", "rss", "file", "shmem", "uid", "pgtables", "adj"), r"-?\d+"),
    "name": r"[\w.-]+",
    "proc": r"[\w/.-]+",
    "user": r"[\w.-]+",
    "duid": r"[0-9a-f]+",
    "addr6": r"[0-9a-f:]+/\d+",
}
"""What each placeholder stands for (what the test matches corpus lines with)."""

TEMPLATES: dict[str, tuple[str, str]] = {
    # hostapd (src/ap/sta_info.c, ieee802_11.c, wpa_auth.c, wpa_ctrl.h events)
    "sta_authenticated": ("hostapd", "{radio}: STA {mac} IEEE 802.11: authenticated"),
    "sta_associated": ("hostapd", "{radio}: STA {mac} IEEE 802.11: associated (aid {aid})"),
    "sta_connected": ("hostapd", "{radio}: AP-STA-CONNECTED {mac}"),
    "sta_handshake": ("hostapd", "{radio}: STA {mac} WPA: pairwise key handshake completed (RSN)"),
    "sta_4way_done": ("hostapd", "{radio}: EAPOL-4WAY-HS-COMPLETED {mac}"),
    "sta_disconnected": ("hostapd", "{radio}: AP-STA-DISCONNECTED {mac}"),
    "sta_inactive": (
        "hostapd",
        "{radio}: STA {mac} IEEE 802.11: deauthenticated due to inactivity (timer DEAUTH/REMOVE)",
    ),
    "psk_mismatch": ("hostapd", "{radio}: AP-STA-POSSIBLE-PSK-MISMATCH {mac}"),
    "sta_kicked": (
        "hostapd",
        "{radio}: STA {mac} IEEE 802.11: deauthenticated due to local deauth request",
    ),
    # dnsmasq (src/rfc2131.c log_packet)
    "dhcp_request": ("dnsmasq-dhcp", "DHCPREQUEST({iface}) {ip} {mac}"),
    "dhcp_ack": ("dnsmasq-dhcp", "DHCPACK({iface}) {ip} {mac} {name}"),
    "dhcp_nak_network": ("dnsmasq-dhcp", "DHCPNAK({iface}) {ip} {mac} wrong network"),
    # odhcpd (src/dhcpv6-ia.c)
    "dhcpv6_ok": ("odhcpd", "DHCPV6 SOLICIT IA_NA from {duid} on {iface}: ok {addr6}"),
    # netifd (device.c, interface.c, main.c)
    "dev_down": ("netifd", "Network device '{iface}' link is down"),
    "dev_up": ("netifd", "Network device '{iface}' link is up"),
    "iface_carrier_lost": ("netifd", "Interface '{iface}' has link connectivity loss"),
    "iface_carrier": ("netifd", "Interface '{iface}' has link connectivity "),
    "udhcpc_renew": ("netifd", "{iface} ({pid}): udhcpc: sending renew to {ip}"),
    "udhcpc_lease": (
        "netifd",
        "{iface} ({pid}): udhcpc: lease of {ip} obtained, lease time {secs}",
    ),
    # the kernel: a DSA switch port (phylink), the OOM killer (mm/oom_kill.c), firewall4 logs
    "phy_down": ("kernel", "{up} mt7530 mdio-bus:00 {iface}: Link is Down"),
    "phy_up": (
        "kernel",
        "{up} mt7530 mdio-bus:00 {iface}: Link is Up - 1Gbps/Full - flow control rx/tx",
    ),
    "oom_invoked": (
        "kernel",
        "{up} {proc} invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, "
        "oom_score_adj=0",
    ),
    "oom_killed": (
        "kernel",
        "{up} Out of memory: Killed process {pid} ({proc}) total-vm:{vm}kB, anon-rss:{rss}kB, "
        "file-rss:{file}kB, shmem-rss:{shmem}kB, UID:{uid} pgtables:{pgtables}kB "
        "oom_score_adj:{adj}",
    ),
    "oom_reaped": (
        "kernel",
        "{up} oom_reaper: reaped process {pid} ({proc}), now anon-rss:0kB, file-rss:0kB, "
        "shmem-rss:0kB",
    ),
    "fw_drop": (
        "kernel",
        "{up} drop wan in: IN={iface} OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "
        "SRC={ip} DST={dst} LEN={len} TOS=0x00 PREC=0x00 TTL={ttl} ID={id} DF PROTO=TCP "
        "SPT={sport} DPT={port} WINDOW={window} RES=0x00 SYN URGP=0",
    ),
    # dropbear (svr-main.c, svr-auth*.c, svr-session.c)
    "ssh_child": ("dropbear", "Child connection from {ip}:{port}"),
    "ssh_bad_password": ("dropbear", "Bad password attempt for '{user}' from {ip}:{port}"),
    "ssh_exit_before_auth": (
        "dropbear",
        "Exit before auth from <{ip}:{port}>: (user '{user}', {fails} fails): Exited normally",
    ),
    "ssh_password_ok": ("dropbear", "Password auth succeeded for '{user}' from {ip}:{port}"),
    "ssh_exit": ("dropbear", "Exit ({user}) from <{ip}:{port}>: Exited normally"),
}


def render(template: str, **values: object) -> tuple[str, str]:
    """(app, message) of ``TEMPLATES[template]`` with its placeholders filled."""
    app, text = TEMPLATES[template]
    return app, text.format(**values)


def template_regex(text: str) -> re.Pattern[str]:
    """A template as a regex over real lines: fixed wording literal, placeholders by kind."""
    parts = re.split(r"\{(\w+)\}", text)
    pattern = "".join(
        re.escape(part) if i % 2 == 0 else f"(?:{PLACEHOLDERS[part]})"
        for i, part in enumerate(parts)
    )
    return re.compile(pattern)
