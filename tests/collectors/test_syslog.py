"""The syslog collector end to end: real UDP and TCP sockets, the log writer, the database."""

from __future__ import annotations

import socket

from core.services import devices, logs
from tests.collectors.conftest import wait_until
from tests.factories import make_device

LINES = [
    b"<30>Feb 12 10:00:01 ap-1 hostapd: wlan0: STA aa:bb:cc:00:00:01 IEEE 802.11: associated",
    b"<38>Feb 12 10:00:02 router dropbear[1234]: Bad password attempt for 'root' from "
    b"192.168.1.50:51234",
    b"<30>Feb 12 10:00:03 router dnsmasq-dhcp[1789]: DHCPACK(br-lan) 192.168.1.100 "
    b"AA:BB:CC:DD:EE:FF camera-1",
    b"<29>Feb 12 10:00:04 router netifd: Interface 'wan' is now down",
    b"<3>Feb 12 10:00:05 router kernel: [12345.678] Out of memory: Killed process 4321 (foo)",
    b'<165>1 2026-02-12T10:00:06.000Z router app 77 ID47 [exampleSDID@32473 iut="3"] hello',
]


def stored(core, **filters):
    with core.db.reader() as session:
        return logs.query_logs(session=session, **filters).items


def test_udp_and_tcp_lines_are_parsed_classified_and_tied_to_devices(core, syslog_collector):
    collector, writer = syslog_collector
    with core.db.writer() as session:
        make_device(session, id="camera-1", type="camera")
        make_device(session, id="ap-1", type="access_point")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for line in LINES[:3]:
            udp.sendto(line, ("127.0.0.1", collector.udp_port))
    stream = b"".join(str(len(line)).encode() + b" " + line for line in LINES[3:])
    with socket.create_connection(("127.0.0.1", collector.tcp_port)) as tcp:
        for start in range(0, len(stream), 37):  # frames split across sends
            tcp.sendall(stream[start : start + 37])
    wait_until(lambda: writer.stored == len(LINES), what="every line stored")

    rows = {r.app: r for r in stored(core, since_ms=0, limit=100)}
    assert {app: rows[app].log_class for app in rows} == {
        "hostapd": "wifi",
        "dropbear": "auth",
        "dnsmasq-dhcp": "dhcp",
        "netifd": "connectivity",
        "kernel": "system",
        "app": "generic",
    }
    assert rows["hostapd"].device_id == "ap-1"  # by host name
    assert rows["dropbear"].pid == 1234
    assert rows["app"].structured == {"exampleSDID@32473": {"iut": "3"}}
    assert {r.source for r in rows.values()} == {"udp", "tcp"}
    # The DHCP acknowledgement taught camera-1 its address.
    with core.db.reader() as session:
        camera = devices.get_device(session=session, ref="camera-1")
    assert (camera.ip, camera.mac) == ("192.168.1.100", "aa:bb:cc:dd:ee:ff")
    assert [r.app for r in stored(core, since_ms=0, log_class="auth")] == ["dropbear"]
    assert [r.app for r in stored(core, since_ms=0, contains="Out of memory")] == ["kernel"]


def test_hostile_lines_are_kept_neutralised_and_the_collector_goes_on(core, syslog_collector):
    collector, writer = syslog_collector
    hostile = [
        b"\x1b[2J\x1b]0;owned\x07 plain line without pri",
        b"\xff\xfe\x00bad utf8",
        b"<13>" + b"x" * 20_000,
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        for line in hostile:
            udp.sendto(line, ("127.0.0.1", collector.udp_port))
        udp.sendto(LINES[0], ("127.0.0.1", collector.udp_port))
    wait_until(lambda: writer.stored == 4, what="all four lines")
    rows = stored(core, since_ms=0, limit=10)
    assert all("\x1b" not in r.message and "\x00" not in r.message for r in rows)
    assert any(r.truncated for r in rows)
    assert any(r.app == "hostapd" for r in rows)
