"""parse_syslog(): recorded OpenWRT lines field by field, then one behaviour per test."""

from __future__ import annotations

import pytest

from core.syslog import MAX_MESSAGE_BYTES, LogClass, SyslogRecord, parse_syslog
from tests.syslog import fixture_bytes, ms

RECEIVED = ms("2026-02-12T12:00:00Z")


def parse(data: bytes, received_ms: int = RECEIVED, **kwargs) -> SyslogRecord:
    return parse_syslog(data, received_ms=received_ms, **kwargs)


# name: (facility, severity, ts, host, app, pid, message, class)
FIXTURE_TABLE = {
    "hostapd_assoc.log": (
        3, 6, "2026-02-12T10:00:10Z", "OpenWrt", "hostapd", None,
        "wlan0: STA 3c:22:fb:12:34:56 IEEE 802.11: associated (aid 3)", LogClass.WIFI,
    ),
    "hostapd_deauth.log": (
        3, 6, "2026-02-12T10:01:02Z", "OpenWrt", "hostapd", None,
        "wlan1: STA 3c:22:fb:12:34:56 IEEE 802.11: deauthenticated due to local deauth request",
        LogClass.WIFI,
    ),
    "dropbear_bad_password.log": (
        10, 4, "2026-02-12T10:02:03Z", "OpenWrt", "dropbear", 2561,
        "Bad password attempt for 'root' from 203.0.113.7:52144", LogClass.AUTH,
    ),
    "dnsmasq_dhcpack.log": (
        3, 6, "2026-02-12T10:03:04Z", "OpenWrt", "dnsmasq-dhcp", 1834,
        "DHCPACK(br-lan) 192.168.1.100 AA:BB:CC:DD:EE:FF phone-anna", LogClass.DHCP,
    ),
    "netifd_up.log": (
        3, 5, "2026-02-12T10:04:05Z", "OpenWrt", "netifd", None,
        "Interface 'wan' is now up", LogClass.CONNECTIVITY,
    ),
    "netifd_down.log": (
        3, 5, "2026-02-02T09:04:00Z", "OpenWrt", "netifd", None,
        "Network device 'eth1' link is down", LogClass.CONNECTIVITY,
    ),
    "kernel_oom.log": (
        0, 3, "2026-02-12T10:05:06Z", "OpenWrt", "kernel", None,
        "[123456.789012] Out of memory: Killed process 2345 (uhttpd) total-vm:5120kB, "
        "anon-rss:1024kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:24kB oom_score_adj:0",
        LogClass.SYSTEM,
    ),
    "fw4_drop.log": (
        0, 4, "2026-02-12T10:06:07Z", "OpenWrt", "kernel", None,
        "[123457.000001] drop wan in: IN=eth1 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 "
        "SRC=198.51.100.23 DST=203.0.113.2 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4321 DF "
        "PROTO=TCP SPT=44321 DPT=23 WINDOW=64240 RES=0x00 SYN URGP=0",
        LogClass.FIREWALL,
    ),
    "ath10k_crash.log": (
        0, 3, "2026-02-12T10:07:08Z", "OpenWrt", "kernel", None,
        "[123458.500000] ath10k_pci 0000:01:00.0: firmware crashed! "
        "(guid 0b6a4b3c-5e2f-4f7e-9d3a-2f1c0e9b8a77)",
        LogClass.WIFI,
    ),
    "pppd_terminated.log": (
        3, 3, "2026-02-12T10:10:11Z", "OpenWrt", "pppd", 1234,
        "LCP terminated by peer", LogClass.CONNECTIVITY,
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(FIXTURE_TABLE))
def test_recorded_openwrt_lines_field_by_field(name):
    facility, severity, ts, host, app, pid, message, log_class = FIXTURE_TABLE[name]
    record = parse(fixture_bytes(name))
    assert record == SyslogRecord(
        facility=facility,
        severity=severity,
        ts_ms=ms(ts),
        host=host,
        app=app,
        pid=pid,
        message=message,
        structured_data={},
        truncated=False,
        log_class=log_class,
        rfc="3164",
    )


def test_rfc5424_with_structured_data_escapes_and_bom():
    record = parse(fixture_bytes("rfc5424_sd_bom.log"))
    assert record == SyslogRecord(
        facility=20,
        severity=5,
        ts_ms=ms("2026-02-12T09:08:09Z") + 123,
        host="ap-kitchen",
        app="hostapd",
        pid=1234,
        message="wlan0: AP-STA-CONNECTED 3c:22:fb:12:34:56",
        structured_data={
            "meta@32473": {"ssid": 'Home "5G"', "band": "5"},
            "origin": {"ip": "192.168.1.2"},
        },
        truncated=False,
        log_class=LogClass.WIFI,
        rfc="5424",
    )


def test_rfc5424_nilvalues_mean_absent_and_the_arrival_time():
    record = parse(b"<14>1 - - - - - - just a message")
    assert (record.ts_ms, record.host, record.app, record.pid) == (RECEIVED, None, None, None)
    assert (record.message, record.structured_data, record.rfc) == ("just a message", {}, "5424")


def test_rfc5424_escapes_backslash_and_bracket_and_keeps_other_backslashes():
    record = parse(rb'<14>1 2026-02-12T10:00:00Z h a - - [x a="1\\2" b="c\]d" c="e\nf"] m')
    assert record.structured_data == {"x": {"a": "1\\2", "b": "c]d", "c": "e\\nf"}}
    assert record.message == "m"


def test_rfc5424_malformed_structured_data_stays_in_the_message():
    record = parse(b'<14>1 2026-02-12T10:00:00Z h a - - [x a="unclosed] m')
    assert record.structured_data == {}
    assert record.message == '[x a="unclosed] m'


def test_rfc5424_procid_that_is_not_a_number_gives_no_pid():
    assert parse(b"<14>1 2026-02-12T10:00:00Z h app worker-3 - - m").pid is None


def test_line_without_pri_gets_user_notice_and_keeps_its_bsd_header():
    record = parse(fixture_bytes("no_pri.log"))
    assert (record.facility, record.severity, record.rfc) == (1, 5, "none")
    assert (record.ts_ms, record.host, record.app) == (
        ms("2026-02-12T10:09:10Z"),
        "OpenWrt",
        "procd",
    )
    assert (record.message, record.log_class) == ("- init complete -", LogClass.SYSTEM)


@pytest.mark.parametrize("data", [b"hello from a tiny device", b"<999>hello from a tiny device"])
def test_bare_text_is_a_generic_notice_at_arrival_time(data):
    record = parse(data)
    assert (record.facility, record.severity, record.ts_ms, record.rfc) == (1, 5, RECEIVED, "none")
    assert (record.host, record.app, record.message) == (None, None, data.decode())
    assert record.log_class is LogClass.GENERIC


def test_pri_without_header_reads_the_tag():
    record = parse(b"<13>logger[77]: hi")
    assert (record.host, record.app, record.pid, record.message) == (None, "logger", 77, "hi")
    assert record.ts_ms == RECEIVED


def test_bsd_line_without_hostname_takes_the_tag():
    record = parse(b"<13>Feb 12 10:00:10 dropbear[9]: Exit (root): Disconnect received")
    assert (record.host, record.app, record.pid) == (None, "dropbear", 9)


def test_bsd_line_with_iso_stamp():
    record = parse(b"<13>2026-02-12T10:00:10.5+00:00 OpenWrt netifd: Interface 'lan' is now up")
    assert (record.ts_ms, record.host, record.app) == (
        ms("2026-02-12T10:00:10Z") + 500,
        "OpenWrt",
        "netifd",
    )


@pytest.mark.parametrize(
    ("stamp", "received", "expected"),
    [
        ("Dec 31 23:59:50", "2027-01-01T00:00:20Z", "2026-12-31T23:59:50Z"),
        ("Jan  1 00:00:05", "2026-12-31T23:59:58Z", "2027-01-01T00:00:05Z"),
        ("Feb 14 10:00:00", "2026-02-12T12:00:00Z", "2025-02-14T10:00:00Z"),
        ("Feb 13 10:00:00", "2026-02-12T12:00:00Z", "2026-02-13T10:00:00Z"),
        ("Feb 29 10:00:00", "2025-03-01T00:00:00Z", "2024-02-29T10:00:00Z"),
    ],
)
def test_rfc3164_year_is_inferred_from_arrival(stamp, received, expected):
    record = parse(f"<13>{stamp} OpenWrt app: m".encode(), received_ms=ms(received))
    assert record.ts_ms == ms(expected)


def test_now_year_pins_the_year_without_inference():
    record = parse(
        b"<13>Jun  1 10:00:00 h app: m", received_ms=ms("2031-07-01T00:00:00Z"), now_year=2030
    )
    assert record.ts_ms == ms("2030-06-01T10:00:00Z")


def test_impossible_date_gives_arrival_time():
    assert parse(b"<13>Feb 30 10:00:00 h app: m").ts_ms == RECEIVED


def test_message_over_8_kib_is_cut_on_a_character_and_flagged():
    exact = parse(b"<13>app: " + b"a" * MAX_MESSAGE_BYTES)
    assert (len(exact.message), exact.truncated) == (MAX_MESSAGE_BYTES, False)
    over = parse(b"<13>app: " + "é".encode() * MAX_MESSAGE_BYTES)
    assert over.truncated
    assert over.message == "é" * (MAX_MESSAGE_BYTES // 2)


def test_control_characters_are_neutralised_everywhere():
    record = parse(b"<13>Feb 12 10:00:10 Open\x1bWrt app: line1\r\nFAKE\x1b[31mred\x00\x7f\tend\n")
    assert record.host == "Open\\x1bWrt"
    assert record.message == "line1\\r\\nFAKE\\x1b[31mred\\x00\\x7f end"
    assert "\x1b" not in record.message


def test_invalid_utf8_is_replaced():
    record = parse(b"<13>app: caf\xc3 \xff ok")
    assert record.message == "caf\ufffd \ufffd ok"


def test_c1_controls_and_line_separators_are_escaped():
    assert parse("<13>app: a\x85b\u2028c".encode()).message == "a\\x85b\\u2028c"
