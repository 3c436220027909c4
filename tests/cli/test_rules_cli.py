"""`warden rules test RULE --line …`: does the rule count this line, under which key, and
when it does not, which of its wordings came closest and where the line parts from it; the
same explanation when a replay of history found lines but none matched."""

from __future__ import annotations

from core.config import load_settings
from core.runtime import open_core
from core.services import logs

HOSTAPD_AUTH = "wlan0: STA 3c:22:fb:12:34:56 IEEE 802.11: authenticated"


def test_a_line_the_rule_counts_gives_its_key_and_what_it_captured(warden) -> None:
    line = (
        "<30>Feb 12 10:00:00 ap-hall hostapd: phy0-ap0: AP-STA-POSSIBLE-PSK-MISMATCH "
        "3C:22:FB:12:34:56"
    )
    result = warden("rules", "test", "wifi.auth-failures", "--line", line)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "wifi.auth-failures: counts this line under key 3c:22:fb:12:34:56",
        "  iface = phy0-ap0",
        "  mac = 3c:22:fb:12:34:56",
    ]


def test_a_near_miss_names_the_nearest_wording_and_where_the_line_parts(warden) -> None:
    result = warden(
        "rules", "test", "wifi.client-deauths", "--line", HOSTAPD_AUTH, "--app", "hostapd"
    )
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert out[0] == "wifi.client-deauths: does not match this line (from hostapd, sorted as wifi)"
    assert out[1].startswith("  nearest wording: ") and "(?P<what>deauthenticated)" in out[1]
    assert out[2:] == [
        "  it matched: 'wlan0: STA 3c:22:fb:12:34:56 IEEE 802.11: '",
        "  then expected: (?P<what>deauthenticated|disassociated|disconnected)",
        "  where the line has: 'authenticated'",
    ]
    as_json = warden.json(
        "rules", "test", "wifi.client-deauths", "--line", HOSTAPD_AUTH, "--app", "hostapd"
    )
    assert as_json["matched"] is False
    assert as_json["nearest"]["found"] == "authenticated"
    assert as_json["explanation"].startswith("it does not match: nearest pattern")


def test_a_line_of_another_class_is_not_read_at_all(warden) -> None:
    line = "Bad password attempt for 'root' from 203.0.113.7:52144"
    result = warden(
        "rules", "test", "security.ssh-login-failures", "--line", line, "--app", "hostapd"
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "security.ssh-login-failures: does not read this line (from hostapd, sorted as wifi)",
        "  the rule reads auth lines; this one is sorted as wifi (from hostapd)",
    ]
    assert warden("rules", "test", "iot.device-offline", "--line", "x").exit_code == 2


def test_a_replay_where_nothing_matched_shows_the_closest_stored_line(warden, data_dir) -> None:
    core = open_core(load_settings(data_dir=data_dir))
    try:
        with core.db.writer() as session:
            logs.ingest_batch(
                session=session,
                lines=[
                    logs.LogLine(
                        ts_ms=1_770_890_400_000 + i,
                        received_ms=1_770_890_400_000 + i,
                        source="udp",
                        source_ip="192.168.1.2",
                        host="ap-hall",
                        app="hostapd",
                        pid=812,
                        facility=3,
                        severity=6,
                        log_class="wifi",
                        message=message,
                    )
                    for i, message in enumerate(
                        ["wlan0: AP-ENABLED", HOSTAPD_AUTH, "wlan0: interface state DFS->ENABLED"]
                    )
                ],
            )
    finally:
        core.close()
    result = warden("rules", "test", "wifi.client-deauths", "--since", "2026-02-12T09:00:00Z")
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert out[:3] == [
        "wifi.client-deauths: 3 lines replayed, 0 matched, 0 firing(s)",
        "  3 line(s) passed the restrictions but none matched the regex",
        f"  closest line: {HOSTAPD_AUTH}",
    ]
    assert "  where the line has: 'authenticated'" in out
