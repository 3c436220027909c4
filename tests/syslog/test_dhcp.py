"""parse_dhcp(): only an acknowledged dnsmasq lease teaches identity."""

from __future__ import annotations

import pytest

from core.syslog import DhcpLease, parse_dhcp, parse_syslog
from tests.syslog import fixture_bytes


def test_dhcpack_from_a_recorded_line_with_mac_normalised():
    record = parse_syslog(fixture_bytes("dnsmasq_dhcpack.log"), received_ms=0)
    assert parse_dhcp(record) == DhcpLease(
        ip="192.168.1.100", mac="aa:bb:cc:dd:ee:ff", hostname="phone-anna", interface="br-lan"
    )


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "DHCPACK(br-lan) 192.168.1.100 aa:bb:cc:dd:ee:ff",
            DhcpLease("192.168.1.100", "aa:bb:cc:dd:ee:ff", None, "br-lan"),
        ),
        (
            "3405711582 DHCPACK(br-guest) 10.0.0.7 AA-BB-CC-00-11-22 esp32-plug",
            DhcpLease("10.0.0.7", "aa:bb:cc:00:11:22", "esp32-plug", "br-guest"),
        ),
        (
            "DHCPACK(br-lan) 192.168.1.9 aa:bb:cc:dd:ee:ff bad\\x1bname",
            DhcpLease("192.168.1.9", "aa:bb:cc:dd:ee:ff", None, "br-lan"),
        ),
    ],
)
def test_dhcpack_variants(message, expected):
    assert parse_dhcp(message) == expected


@pytest.mark.parametrize(
    "message",
    [
        "DHCPOFFER(br-lan) 192.168.1.100 aa:bb:cc:dd:ee:ff",
        "DHCPREQUEST(br-lan) 192.168.1.100 aa:bb:cc:dd:ee:ff",
        "DHCPREPLY(br-lan) fd00::5 00:01:00:01:2b:3c:4d:5e:aa:bb:cc:dd:ee:ff phone",
        "DHCPACK(br-lan) 999.1.1.1 aa:bb:cc:dd:ee:ff",
        "DHCPACK(br-lan) 192.168.1.100 aa:bb:cc:dd:ee",
        "DHCPACK(br-lan) 192.168.1.100 aa:bb:cc:dd:ee:ff a b",
        "DHCPV4 ACK from aa:bb:cc:dd:ee:ff",
        "",
    ],
)
def test_anything_else_teaches_nothing(message):
    assert parse_dhcp(message) is None
