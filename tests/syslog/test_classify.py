"""classify(): by program, and by content for the kernel and untagged lines."""

from __future__ import annotations

import pytest

from core.syslog import LogClass, classify

W, A, D, C, F, S, G = (
    LogClass.WIFI,
    LogClass.AUTH,
    LogClass.DHCP,
    LogClass.CONNECTIVITY,
    LogClass.FIREWALL,
    LogClass.SYSTEM,
    LogClass.GENERIC,
)


@pytest.mark.parametrize(
    ("app", "message", "expected"),
    [
        ("hostapd", "wlan0: STA 3c:22:fb:12:34:56 IEEE 802.11: disassociated", W),
        ("wpa_supplicant", "wlan0: CTRL-EVENT-DISCONNECTED", W),
        ("kernel", "[ 12.3] mt76x02: firmware crashed", W),
        ("kernel", "[ 99.1] wlan1: deauthenticating from 00:11:22:33:44:55 by local choice", W),
        (None, "wlan0: authenticated", W),
        ("dropbear", "Bad password attempt for 'root' from 10.0.0.9:5000", A),
        ("sshd", "Failed password for root from 10.0.0.9 port 22 ssh2", A),
        ("login", "root login on 'ttyS0'", A),
        ("su", "pam_unix(su:session): session opened", A),
        ("dnsmasq", "started, version 2.90 cachesize 1000", D),
        ("dnsmasq-dhcp", "DHCPACK(br-lan) 192.168.1.5 aa:bb:cc:dd:ee:ff", D),
        ("odhcpd", "DHCPV6 SOLICIT IA_NA from 0001 on br-lan: ok", D),
        ("netifd", "Interface 'wan' is now down", C),
        ("pppd", "Connection terminated.", C),
        ("odhcp6c", "Got a valid reply after 12ms", C),
        ("fw4", "Reloading firewall", F),
        ("firewall", "Reloading firewall due to ifup of wan (eth1)", F),
        (
            "kernel",
            "[ 1.0] reject wan in: IN=eth1 OUT= MAC=aa SRC=1.2.3.4 DST=5.6.7.8 PROTO=UDP",
            F,
        ),
        ("kernel", "DROP wan in: IN=eth1 OUT= SRC=1.2.3.4 DST=5.6.7.8", F),
        ("kernel", "[ 2.0] IN=br-lan OUT=eth1 SRC=192.168.1.2 DST=8.8.8.8 LEN=60", F),
        ("kernel", "[ 5.0] Out of memory: Killed process 1 (x)", S),
        ("kernel", "[ 5.0] uhttpd invoked oom-killer: gfp_mask=0x100cca", S),
        ("hostapd", "Out of memory", S),
        ("procd", "- init complete -", S),
        ("kernel", "[ 0.0] Linux version 5.15.150", S),
        ("/usr/sbin/dropbear", "Exit before auth", A),
        ("uhttpd", "listening on 0.0.0.0:80", G),
        (None, "hello", G),
        ("", "hello", G),
    ],
)
def test_classify(app, message, expected):
    assert classify(app, message) is expected
