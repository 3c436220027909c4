"""Point-in-time rules: threshold (for_s), anomaly (robust z), absence, seq_gap, system."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.rules import (
    AbsenceRule,
    AnomalyRule,
    SeqGapRule,
    Severity,
    SystemRule,
    ThresholdRule,
    device_type_matches,
    evaluate_absence,
    evaluate_anomaly,
    evaluate_seq_gap,
    evaluate_system,
    evaluate_threshold,
    parse_rule,
    robust_z,
)

HOT = ThresholdRule(
    id="iot.hot",
    name="Hot",
    severity=Severity.HIGH,
    metric="temperature",
    op=">",
    value=60,
    for_s=300,
    device_type="sensor",
)
MIN = 60_000


def hot(points: list[tuple[int, float]], now_ms: int, device_type: str | None = "sensor"):
    return evaluate_threshold(
        HOT, device_id="s1", points=points, now_ms=now_ms, device_type=device_type
    )


def test_threshold_held_for_long_enough_fires() -> None:
    points = [(0, 50.0), (1 * MIN, 61.0), (3 * MIN, 65.0), (6 * MIN, 70.0)]
    firing = hot(points, now_ms=6 * MIN)
    assert firing is not None
    assert firing.key == "s1"
    assert firing.count == 3
    assert firing.evidence == [1 * MIN, 3 * MIN, 6 * MIN]
    assert firing.summary == "temperature on s1 is 70 (> 60) for 300 s, 3 readings"


def test_threshold_not_yet_held_or_broken_does_not_fire() -> None:
    assert hot([(0, 50.0), (1 * MIN, 61.0), (5 * MIN, 62.0)], now_ms=5 * MIN) is None  # 4 min
    broken = [(0, 61.0), (3 * MIN, 59.0), (4 * MIN, 61.0), (7 * MIN, 61.0)]
    assert hot(broken, now_ms=7 * MIN) is None  # the dip at 3 min restarted the clock
    assert hot(broken, now_ms=9 * MIN) is not None  # 4 → 9 min: held for 5 min
    assert hot([(0, 61.0), (10 * MIN, 40.0)], now_ms=10 * MIN) is None  # cleared


def test_threshold_ignores_future_points_and_unselected_types() -> None:
    points = [(0, 61.0), (10 * MIN, 61.0)]
    assert hot(points, now_ms=10 * MIN, device_type="sensor_temp") is not None
    assert hot(points, now_ms=10 * MIN, device_type="sensors") is None
    assert hot(points, now_ms=10 * MIN, device_type="meter") is None
    assert hot([(0, 50.0), (20 * MIN, 99.0)], now_ms=10 * MIN) is None


def test_device_type_prefix_match() -> None:
    assert device_type_matches(None, None)
    assert device_type_matches("meter", "meter")
    assert device_type_matches("meter", "meter_3phase")
    assert not device_type_matches("meter", "meterx")
    assert not device_type_matches("meter", None)


ANOMALY = AnomalyRule(
    id="iot.anomaly", name="Anomaly", severity="low", metric="temperature", window_s=3600
)


def series(values: list[float], step_ms: int = MIN) -> list[tuple[int, float]]:
    return [(i * step_ms, v) for i, v in enumerate(values)]


def test_anomaly_fires_on_a_spike() -> None:
    base = [21.0, 21.2, 20.9, 21.1, 21.3, 20.8, 21.0, 21.1, 20.9, 21.2] * 3
    points = series([*base, 35.0])
    firing = evaluate_anomaly(ANOMALY, device_id="s1", points=points, now_ms=30 * MIN)
    assert firing is not None
    assert firing.evidence == [30 * MIN]
    assert firing.details["value"] == 35.0
    assert firing.details["z"] > 3.5


def test_anomaly_quiet_on_normal_readings_short_or_flat_windows() -> None:
    base = [21.0, 21.2, 20.9, 21.1, 21.3, 20.8, 21.0, 21.1, 20.9, 21.2] * 3
    normal = series([*base, 21.4])
    assert evaluate_anomaly(ANOMALY, device_id="s1", points=normal, now_ms=30 * MIN) is None
    short = series([*base[:10], 35.0])
    assert evaluate_anomaly(ANOMALY, device_id="s1", points=short, now_ms=10 * MIN) is None
    flat = series([21.0] * 30 + [22.0])
    assert evaluate_anomaly(ANOMALY, device_id="s1", points=flat, now_ms=30 * MIN) is None
    # readings older than the window do not count towards min_count
    old = series([*base, 35.0], step_ms=10 * MIN)
    assert evaluate_anomaly(ANOMALY, device_id="s1", points=old, now_ms=300 * MIN) is None


def test_robust_z_falls_back_to_mean_absolute_deviation() -> None:
    assert robust_z(10.0, [1.0, 2.0, 3.0]) == pytest.approx(8 / 1.4826)
    assert robust_z(5.0, [1.0, 1.0, 1.0, 3.0]) == pytest.approx(4 / (1.2533 * 0.5))
    assert robust_z(5.0, [1.0, 1.0]) is None


OFFLINE = AbsenceRule(id="iot.offline", name="Offline", severity="medium", grace_s=300)


def test_absence_after_grace_only() -> None:
    def check(status: str, last: int | None, now: int):
        return evaluate_absence(
            OFFLINE, device_id="d1", device_type="sensor", status=status, last_seen_ms=last,
            now_ms=now,
        )  # fmt: skip

    assert check("offline", 0, 300_000) is None  # exactly the grace
    firing = check("offline", 0, 301_000)
    assert firing is not None
    assert firing.summary == "d1 offline, silent for 301 s (grace 300 s)"
    assert check("online", 0, 10**9) is None
    assert check("offline", None, 10**9) is None


def test_seq_gap() -> None:
    rule = SeqGapRule(id="iot.gap", name="Gap", severity="low", min_missing=10, window_s=600)
    assert evaluate_seq_gap(rule, device_id="d1", missing_in_window=9, now_ms=0) is None
    firing = evaluate_seq_gap(rule, device_id="d1", missing_in_window=12, now_ms=5)
    assert firing is not None
    assert (firing.count, firing.key, firing.ts_ms) == (12, "d1", 5)
    assert firing.summary == "12 messages from d1 missing within 600 s"


def test_system() -> None:
    rule = SystemRule(
        id="h.disk", name="Disk", severity="high", check="disk_free_pct", op="<", value=10
    )
    assert evaluate_system(rule, measures={"disk_free_pct": 50.0}, now_ms=0) is None
    assert evaluate_system(rule, measures={}, now_ms=0) is None
    firing = evaluate_system(rule, measures={"disk_free_pct": 4.5}, now_ms=7)
    assert firing is not None
    assert firing.key == "disk_free_pct"
    assert firing.summary == "Warden disk_free_pct is 4.5 (< 10)"


def test_parse_rule_discriminates_by_kind() -> None:
    rule = parse_rule(
        {"id": "x.y", "name": "n", "kind": "system", "severity": "info",
         "check": "queue_backlog", "op": ">", "value": 5}
    )  # fmt: skip
    assert isinstance(rule, SystemRule)
    with pytest.raises(ValidationError):
        parse_rule({"id": "Bad Id", "name": "n", "kind": "absence", "severity": "low",
                    "grace_s": 1})  # fmt: skip
