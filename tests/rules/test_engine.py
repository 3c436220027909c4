"""PatternEngine: thresholds within windows, keys, cooldowns, averages, replay; fuzzing."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from core.rules import (
    AverageRule,
    LogEvent,
    PatternEngine,
    PatternRule,
    SeqGapRule,
    Severity,
    load_packs,
    replay,
)
from core.syslog import LogClass

SSH = PatternRule(
    id="security.ssh",
    name="SSH failures",
    severity=Severity.HIGH,
    regex=r"Bad password attempt for '(?P<user>[^']*)' from (?P<ip>[0-9.]+):\d+",
    classes=["auth"],
    key="{ip}",
    threshold=5,
    window_s=60,
    cooldown_s=300,
    summary="{count} failed logins for {user} from {ip} within {window_s} s",
)
SIGNAL = AverageRule(
    id="wifi.signal",
    name="Low signal",
    severity=Severity.LOW,
    regex=r"signal=(?P<value>-?\d+)",
    key="{host}",
    min_count=3,
    window_s=300,
    op="<",
    bound=-75,
)


def bad(ts_s: float, log_id: int, ip: str = "192.168.1.50") -> LogEvent:
    message = f"Bad password attempt for 'root' from {ip}:40022"
    return LogEvent(int(ts_s * 1000), log_id, "OpenWrt", "dropbear", "auth", message)


def test_storm_fires_once_at_threshold_with_count_and_evidence() -> None:
    engine = PatternEngine([SSH])
    assert [engine.feed(bad(t, 100 + t)) for t in range(4)] == [[], [], [], []]
    [firing] = engine.feed(bad(4, 104))
    assert firing.rule_id == "security.ssh"
    assert firing.severity is Severity.HIGH
    assert firing.key == "192.168.1.50"
    assert firing.count == 5
    assert firing.evidence == [100, 101, 102, 103, 104]
    assert firing.ts_ms == 4000
    assert firing.summary == "5 failed logins for root from 192.168.1.50 within 60 s"
    assert firing.details["captures"]["user"] == "root"


def test_silent_inside_cooldown_then_fires_again() -> None:
    engine = PatternEngine([SSH])
    out = [f for t in range(5) for f in engine.feed(bad(t, t))]
    assert len(out) == 1
    # another storm inside the 300 s cooldown: nothing
    assert [f for t in range(10, 30) for f in engine.feed(bad(t, t))] == []
    # after the cooldown, five fresh failures within the window fire again
    again = [f for t in range(400, 405) for f in engine.feed(bad(t, t))]
    assert [f.count for f in again] == [5]
    assert again[0].evidence == [400, 401, 402, 403, 404]


def test_matches_spread_wider_than_the_window_do_not_fire() -> None:
    engine = PatternEngine([SSH])
    assert [f for t in range(0, 300, 20) for f in engine.feed(bad(t, t))] == []


def test_an_event_exactly_window_old_is_outside() -> None:
    engine = PatternEngine([SSH])
    fired = [f for t in (0, 15, 30, 45, 60) for f in engine.feed(bad(t, t))]
    assert fired == []
    assert len(engine.feed(bad(61, 61))) == 1  # 15..61: five within 60 s


def test_keys_are_separate() -> None:
    engine = PatternEngine([SSH])
    fired = []
    for t in range(4):
        fired += engine.feed(bad(t, t, ip="10.0.0.1"))
        fired += engine.feed(bad(t, 50 + t, ip="10.0.0.2"))
    assert fired == []
    fired += engine.feed(bad(5, 9, ip="10.0.0.1"))
    assert [(f.key, f.count) for f in fired] == [("10.0.0.1", 5)]
    fired += engine.feed(bad(5, 59, ip="10.0.0.2"))
    assert [f.key for f in fired] == ["10.0.0.1", "10.0.0.2"]


def test_class_filter_and_disabled_rules() -> None:
    engine = PatternEngine([SSH])
    msg = "Bad password attempt for 'root' from 10.0.0.1:1"
    assert all(engine.feed(LogEvent(t, t, "h", "x", "generic", msg)) == [] for t in range(10))
    off = PatternEngine([SSH.model_copy(update={"enabled": False})])
    assert all(off.feed(bad(t, t)) == [] for t in range(10))


def signal(ts_s: int, dbm: int, host: str = "ap1") -> LogEvent:
    return LogEvent(ts_s * 1000, ts_s, host, "hostapd", "wifi", f"wlan0: signal={dbm} noise=-95")


def test_average_fires_when_enough_readings_average_beyond_the_bound() -> None:
    engine = PatternEngine([SIGNAL])
    assert engine.feed(signal(0, -80)) == []
    assert engine.feed(signal(1, -60)) == []
    assert engine.feed(signal(2, -70)) == []  # average -70: not below -75
    [firing] = engine.feed(signal(3, -95))  # -80, -60, -70, -95 → -76.25
    assert firing.count == 4
    assert firing.details["average"] == -76.25
    assert firing.evidence == [0, 1, 2, 3]
    assert "average -76.2" in firing.summary


def test_average_of_too_few_readings_does_not_fire() -> None:
    engine = PatternEngine([SIGNAL])
    assert engine.feed(signal(0, -90)) == []
    assert engine.feed(signal(1, -90)) == []
    assert engine.feed(signal(400, -90)) == []  # the first two left the window


def test_replay_gives_firings_in_order_and_skips_other_kinds() -> None:
    gap = SeqGapRule(id="iot.gap", name="gap", severity="low", window_s=60)
    events = [bad(t, t) for t in range(5)] + [signal(10 + t, -90) for t in range(3)]
    fired = replay([gap, SSH, SIGNAL], events)
    assert [(f.rule_id, f.ts_ms) for f in fired] == [("security.ssh", 4000), ("wifi.signal", 12000)]


PACKS = Path(__file__).resolve().parents[2] / "data" / "rules"
PACK_LOG_RULES = [r for r in load_packs(PACKS) if isinstance(r, PatternRule | AverageRule)]


@settings(max_examples=300, deadline=None)
@given(
    message=st.text(max_size=300),
    host=st.none() | st.text(max_size=20),
    app=st.none() | st.text(max_size=20),
    log_class=st.sampled_from([str(c) for c in LogClass]),
    ts=st.integers(min_value=-(2**40), max_value=2**45),
)
def test_feed_never_raises(
    message: str, host: str | None, app: str | None, log_class: str, ts: int
) -> None:
    engine = PatternEngine([*PACK_LOG_RULES, SSH, SIGNAL])
    tails = ("", " signal=-80", " signal: -1e999", " from 1.2.3.4:1", " firmware crashed")
    for tail in tails:
        for firing in engine.feed(LogEvent(ts, None, host, app, log_class, message + tail)):
            assert firing.count >= 1


def hostapd(ts_s: float, log_id: int, message: str) -> LogEvent:
    return LogEvent(int(ts_s * 1000), log_id, "ap-hall", "hostapd", "wifi", message)


MAC = r"(?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2}"
PSK = rf"(?P<iface>[\w.-]+): AP-STA-POSSIBLE-PSK-MISMATCH (?P<mac>{MAC})"


def psk_mismatch(ts_s: float, log_id: int, mac: str) -> LogEvent:
    return hostapd(ts_s, log_id, f"wlan0: AP-STA-POSSIBLE-PSK-MISMATCH {mac}")


def test_a_mac_key_is_one_client_whatever_the_case_it_was_printed_in() -> None:
    rule = PatternRule(
        id="wifi.psk", name="PSK", severity=Severity.LOW, regex=PSK, key="{mac}",
        threshold=3, window_s=60,
    )  # fmt: skip
    engine = PatternEngine([rule])
    spellings = ["3C:22:FB:12:34:56", "3c:22:fb:12:34:56", "3c:22:FB:12:34:56"]
    fired = [
        f
        for i, mac in enumerate(spellings)
        for f in engine.feed(hostapd(i, i, f"wlan0: AP-STA-POSSIBLE-PSK-MISMATCH {mac}"))
    ]
    assert [(f.key, f.count) for f in fired] == [("3c:22:fb:12:34:56", 3)]
    assert fired[0].details["captures"]["mac"] == "3c:22:fb:12:34:56"


def test_distinct_counts_different_clients_not_repeats_of_one() -> None:
    rule = PatternRule(
        id="wifi.flood", name="Flood", severity=Severity.HIGH, regex=PSK,
        key="{host}:{iface}", distinct="mac", threshold=3, window_s=60,
    )  # fmt: skip
    engine = PatternEngine([rule])
    noisy = [
        hostapd(i, i, "wlan0: AP-STA-POSSIBLE-PSK-MISMATCH aa:bb:cc:00:00:01") for i in range(9)
    ]
    assert [f for e in noisy for f in engine.feed(e)] == []  # one client, however often
    many = [
        hostapd(10 + i, 10 + i, f"wlan0: AP-STA-POSSIBLE-PSK-MISMATCH aa:bb:cc:00:00:0{i + 2}")
        for i in range(2)
    ]
    [firing] = [f for e in many for f in engine.feed(e)]
    assert (firing.key, firing.count) == ("ap-hall:wlan0", 3)
    assert firing.evidence == [8, 10, 11]  # the newest line of each client


def test_distinct_forgets_clients_seen_before_the_window() -> None:
    rule = PatternRule(
        id="wifi.flood", name="Flood", severity=Severity.HIGH, regex=PSK,
        key="{iface}", distinct="mac", threshold=3, window_s=60,
    )  # fmt: skip
    engine = PatternEngine([rule])
    lines = [(0, 1), (40, 2), (70, 3), (90, 4)]  # client 1 is out of the window at 70 s
    fired = [
        f
        for t, n in lines
        for f in engine.feed(
            hostapd(t, n, f"wlan0: AP-STA-POSSIBLE-PSK-MISMATCH aa:bb:cc:00:00:0{n}")
        )
    ]
    assert [f.count for f in fired] == [3]
    assert fired[0].ts_ms == 90_000


def netifd(ts_s: float, log_id: int, state: str) -> LogEvent:
    message = f"Interface 'wan' is now {state}"
    return LogEvent(int(ts_s * 1000), log_id, "gw", "netifd", "connectivity", message)


def test_changes_counts_transitions_not_a_trickle_of_the_same_state() -> None:
    rule = PatternRule(
        id="net.flap", name="Flap", severity=Severity.MEDIUM,
        regex=r"Interface '(?P<iface>[^']+)' is now (?P<state>up|down)", key="{iface}",
        changes="state", threshold=4, window_s=300,
    )  # fmt: skip
    engine = PatternEngine([rule])
    trickle = [netifd(t, t, "up") for t in range(0, 100, 10)]
    assert [f for e in trickle for f in engine.feed(e)] == []
    flaps = [netifd(100 + t, 100 + t, s) for t, s in enumerate(["down", "up", "down"])]
    [firing] = [f for e in flaps for f in engine.feed(e)]
    assert firing.count == 4  # up (first seen), down, up, down
    assert firing.evidence == [0, 100, 101, 102]


def test_counting_options_must_name_a_group_and_not_both() -> None:
    import pytest
    from pydantic import ValidationError

    base = {"id": "x.y", "name": "X", "severity": "low", "regex": PSK, "window_s": 60}
    with pytest.raises(ValidationError, match="distinct names ssid"):
        PatternRule(**base, distinct="ssid")
    with pytest.raises(ValidationError, match="not both"):
        PatternRule(**base, distinct="mac", changes="iface")
