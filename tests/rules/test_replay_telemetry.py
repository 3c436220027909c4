"""Replaying threshold and anomaly rules over stored readings: what would have fired, and
when, between ``since`` and ``until``."""

from __future__ import annotations

import math
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.rules import (
    AnomalyRule,
    Severity,
    ThresholdRule,
    evaluate_threshold,
    replay_telemetry,
)
from core.rules.models import compare

MIN = 60_000
NAN = math.nan
END = 10**9  # an ``until`` past every reading

HOT = ThresholdRule(
    id="iot.hot",
    name="Hot",
    severity=Severity.HIGH,
    metric="temperature",
    op=">",
    value=60,
    for_s=300,
)


def at(*pairs: tuple[float, float]) -> list[tuple[int, float]]:
    """(minutes, value) pairs as (ms, value) readings."""
    return [(int(m * MIN), v) for m, v in pairs]


def fired_at(firings) -> list[int]:
    return [f.ts_ms for f in firings]


THRESHOLD_CASES = [
    pytest.param(
        HOT,
        at((0, 61), (1, 62), (4, 63), (5, 64), (6, 65)),
        0,
        END,
        [5 * MIN],
        id="fires-at-the-first-reading-that-has-held-for_s",
    ),
    pytest.param(HOT, at((0, 61), (4, 65)), 0, END, [], id="not-held-long-enough"),
    pytest.param(
        HOT,
        at((0, 61), (5, 61), (6, 50), (7, 61), (12, 61), (13, 61)),
        0,
        END,
        [5 * MIN, 12 * MIN],
        id="hot-cool-hot-is-two-episodes",
    ),
    pytest.param(
        HOT,
        at((0, 61), (5, 62), (6, 63), (7, 64), (20, 65)),
        0,
        END,
        [5 * MIN],
        id="one-firing-per-episode-however-long",
    ),
    pytest.param(
        HOT,
        at((0, 61), (3, 59), (4, 61), (8, 61), (9, 61)),
        0,
        END,
        [9 * MIN],
        id="a-dip-restarts-the-clock",
    ),
    pytest.param(
        HOT,
        at((0, 61), (3, 60), (4, 61), (9, 61)),
        0,
        END,
        [9 * MIN],
        id="a-reading-at-the-bound-does-not-break-it",
    ),
    pytest.param(
        HOT.model_copy(update={"for_s": 0}),
        at((0, 50), (1, 61), (2, 62), (3, 50), (4, 70), (5, 71)),
        0,
        END,
        [1 * MIN, 4 * MIN],
        id="for_s-0-fires-at-each-episode-start",
    ),
    pytest.param(
        HOT.model_copy(update={"op": "<=", "value": 10}),
        at((0, 12), (1, 10), (6, 9), (7, 11), (8, 3), (13, 4)),
        0,
        END,
        [6 * MIN, 13 * MIN],
        id="less-or-equal",
    ),
    pytest.param(
        HOT,
        at((0, 61), (3, 61), (5, 61)),
        4 * MIN,
        END,
        [5 * MIN],
        id="readings-before-since-are-history",
    ),
    pytest.param(
        HOT, at((0, 61), (3, 61), (5, 61)), 5 * MIN, END, [5 * MIN], id="since-is-inclusive"
    ),
    pytest.param(
        HOT,
        at((0, 61), (5, 61), (6, 50), (7, 61), (12, 61)),
        0,
        6 * MIN,
        [5 * MIN],
        id="until-cuts-off-later-episodes",
    ),
    pytest.param(HOT, at((0, 61), (5, 61)), 0, 5 * MIN, [], id="until-is-exclusive"),
    pytest.param(
        HOT, at((0, 61), (5, 61)), 0, 5 * MIN + 1, [5 * MIN], id="until-just-past-the-reading"
    ),
    pytest.param(
        HOT,
        at((0, 61), (3, NAN), (5, 61)),
        0,
        END,
        [5 * MIN],
        id="nan-neither-breaks-nor-ends-an-episode",
    ),
    pytest.param(
        HOT,
        at((0, NAN), (5, NAN), (10, NAN)),
        0,
        END,
        [],
        id="only-nan-never-fires",
    ),
    pytest.param(
        HOT,
        at((13, 61), (5, 61), (0, 61), (6, 50), (7, 61), (12, 61)),
        0,
        END,
        [5 * MIN, 12 * MIN],
        id="readings-in-any-order",
    ),
    pytest.param(
        HOT.model_copy(update={"enabled": False}),
        at((0, 61), (5, 61)),
        0,
        END,
        [],
        id="disabled-rule",
    ),
]


@pytest.mark.parametrize(("rule", "points", "since", "until", "expected"), THRESHOLD_CASES)
def test_threshold_replay_fires_once_per_episode(rule, points, since, until, expected) -> None:
    firings = replay_telemetry(rule, device_id="s1", points=points, since_ms=since, until_ms=until)
    assert fired_at(firings) == expected
    assert {f.rule_id for f in firings} <= {"iot.hot"}


def test_threshold_replay_firing_says_what_held_and_for_how_long() -> None:
    points = at((0, 50), (1, 61), (2, 62), (4, 63), (6, 64), (7, 65))
    (firing,) = replay_telemetry(HOT, device_id="s1", points=points, since_ms=0, until_ms=END)
    assert (firing.key, firing.device_id, firing.ts_ms, firing.count) == ("s1", "s1", 6 * MIN, 4)
    assert firing.evidence == [1 * MIN, 2 * MIN, 4 * MIN, 6 * MIN]
    assert firing.details["since_ms"] == 1 * MIN
    assert firing.details["last"] == 64
    assert firing.summary == "temperature on s1 is 64 (> 60) for 300 s, 4 readings"


@pytest.mark.parametrize(
    ("wanted", "actual", "fires"),
    [
        ("sensor", "sensor", True),
        ("sensor", "sensor_temp", True),
        ("sensor", "sensors", False),
        ("sensor", "meter", False),
        ("sensor", None, False),
        (None, "meter", True),
    ],
)
def test_replay_respects_the_device_type(wanted, actual, fires) -> None:
    threshold = HOT.model_copy(update={"device_type": wanted})
    anomaly = SPIKY.model_copy(update={"device_type": wanted})
    hot = replay_telemetry(
        threshold, device_id="s1", points=at((0, 61), (5, 61)), since_ms=0, until_ms=END,
        device_type=actual,
    )  # fmt: skip
    odd = replay_telemetry(
        anomaly, device_id="s1", points=noisy(spikes={30: 35.0}), since_ms=0, until_ms=END,
        device_type=actual,
    )  # fmt: skip
    assert fired_at(hot) == ([5 * MIN] if fires else [])
    assert fired_at(odd) == ([30 * MIN] if fires else [])


SPIKY = AnomalyRule(
    id="iot.odd",
    name="Odd reading",
    severity=Severity.LOW,
    metric="temperature",
    window_s=3600,
    cooldown_s=600,
)
BASE = [21.0, 21.2, 20.9, 21.1, 21.3, 20.8, 21.0, 21.1, 20.9, 21.2]


def noisy(minutes: int = 50, spikes: dict[int, float] | None = None) -> list[tuple[int, float]]:
    """One reading a minute of a flat-ish noisy baseline, with the given minutes spiking."""
    spikes = spikes or {}
    return [(m * MIN, spikes.get(m, BASE[m % len(BASE)])) for m in range(minutes)]


ANOMALY_CASES = [
    pytest.param(SPIKY, noisy(), 0, END, [], id="noise-alone-never-fires"),
    pytest.param(SPIKY, noisy(spikes={30: 35.0}), 0, END, [30 * MIN], id="one-spike"),
    pytest.param(SPIKY, noisy(spikes={30: 5.0}), 0, END, [30 * MIN], id="a-dip-is-an-outlier"),
    pytest.param(
        SPIKY, noisy(spikes={30: 35.0, 35: 36.0}), 0, END, [30 * MIN], id="second-in-cooldown"
    ),
    pytest.param(
        SPIKY,
        noisy(spikes={30: 35.0, 35: 36.0, 40: 37.0}),
        0,
        END,
        [30 * MIN, 40 * MIN],
        id="cooldown-ends-at-exactly-cooldown_s",
    ),
    pytest.param(
        SPIKY.model_copy(update={"cooldown_s": 0}),
        noisy(spikes={30: 35.0, 35: 36.0}),
        0,
        END,
        [30 * MIN, 35 * MIN],
        id="no-cooldown-each-spike",
    ),
    pytest.param(
        SPIKY, noisy(spikes={10: 35.0}), 0, END, [], id="too-little-history-before-the-spike"
    ),
    pytest.param(
        SPIKY, noisy(spikes={30: 35.0}), 30 * MIN, END, [30 * MIN], id="history-before-since"
    ),
    pytest.param(
        SPIKY,
        [p for p in noisy(spikes={30: 35.0}) if p[0] >= 25 * MIN],
        25 * MIN,
        END,
        [],
        id="no-history-no-firing",
    ),
    pytest.param(SPIKY, noisy(spikes={30: 35.0}), 0, 30 * MIN, [], id="until-excludes"),
    pytest.param(SPIKY, noisy(spikes={30: 35.0}), 31 * MIN, END, [], id="since-after-the-spike"),
    pytest.param(
        SPIKY,
        noisy(spikes={5: NAN, 12: NAN, 30: 35.0, 31: NAN, 33: NAN}),
        0,
        END,
        [30 * MIN],
        id="nan-ignored",
    ),
    pytest.param(
        SPIKY,
        [(m * MIN, 21.0) for m in range(30)] + [(30 * MIN, 22.0)],
        0,
        END,
        [],
        id="flat-baseline-never-fires",
    ),
    pytest.param(
        SPIKY.model_copy(update={"window_s": 600}),
        noisy(spikes={30: 35.0}),
        0,
        END,
        [],
        id="window-too-short-for-min_count",
    ),
]


@pytest.mark.parametrize(("rule", "points", "since", "until", "expected"), ANOMALY_CASES)
def test_anomaly_replay_fires_per_outlier_with_cooldown(rule, points, since, until, expected):
    firings = replay_telemetry(rule, device_id="s1", points=points, since_ms=since, until_ms=until)
    assert fired_at(firings) == expected
    for firing in firings:
        assert firing.evidence == [firing.ts_ms]
        assert firing.details["at_ms"] == firing.ts_ms


def test_anomaly_replay_firing_reports_the_value_and_its_distance() -> None:
    (firing,) = replay_telemetry(
        SPIKY, device_id="s1", points=noisy(spikes={30: 35.0}), since_ms=0, until_ms=END
    )
    assert firing.details["value"] == 35.0
    assert firing.details["median"] == pytest.approx(21.05)
    assert firing.details["z"] > SPIKY.z
    assert firing.summary.startswith("temperature on s1 is 35, ")
    assert "over 30 readings in 3600 s" in firing.summary


# --- properties -------------------------------------------------------------------------


@st.composite
def threshold_cases(draw):
    """Distinct reading times, values around the bound (some NaN), a window to replay."""
    times = sorted(draw(st.sets(st.integers(0, 60), min_size=0, max_size=30)))
    values = draw(
        st.lists(
            st.sampled_from([50.0, 59.9, 60.0, 60.1, 61.0, 99.0, NAN]),
            min_size=len(times),
            max_size=len(times),
        )
    )
    points = [(t * 30_000, v) for t, v in zip(times, values, strict=True)]
    rule = HOT.model_copy(
        update={
            "op": draw(st.sampled_from([">", ">=", "<", "<="])),
            "for_s": draw(st.sampled_from([0, 30, 60, 300])),
        }
    )
    since = draw(st.integers(-60_000, 2_000_000))
    until = draw(st.integers(since, 2_000_000))
    return rule, points, since, until


@settings(max_examples=300, deadline=None)
@given(threshold_cases())
def test_threshold_replay_never_fires_twice_in_one_episode(case) -> None:
    rule, points, since, until = case
    firings = replay_telemetry(rule, device_id="s1", points=points, since_ms=since, until_ms=until)

    def breaks(value: float) -> bool:
        return compare(value, rule.op, rule.value)

    readings = dict(points)
    for firing in firings:
        assert since <= firing.ts_ms < until
        assert breaks(readings[firing.ts_ms])
        # the live check, asked at that instant, agrees
        live = evaluate_threshold(rule, device_id="s1", points=points, now_ms=firing.ts_ms)
        assert live is not None
        assert live.details["since_ms"] == firing.details["since_ms"]
    for first, second in pairwise(firings):
        assert any(
            first.ts_ms < t < second.ts_ms and not math.isnan(v) and not breaks(v)
            for t, v in points
        ), f"no reading cleared {rule.op} {rule.value:g} between {first.ts_ms} and {second.ts_ms}"
    # every episode the live check would flag inside the window shows up, no later than that
    for t, _ in points:
        if not since <= t < until:
            continue
        live = evaluate_threshold(rule, device_id="s1", points=points, now_ms=t)
        if live is not None and readings[t] == readings[t]:
            assert any(
                f.details["since_ms"] == live.details["since_ms"] and f.ts_ms <= t for f in firings
            )


@settings(max_examples=100, deadline=None)
@given(
    spikes=st.dictionaries(st.integers(20, 59), st.sampled_from([5.0, 35.0, 40.0]), max_size=8),
    cooldown_s=st.sampled_from([0, 60, 300, 600]),
)
def test_anomaly_replay_keeps_firings_a_cooldown_apart(spikes, cooldown_s) -> None:
    rule = SPIKY.model_copy(update={"cooldown_s": cooldown_s})
    firings = replay_telemetry(
        rule, device_id="s1", points=noisy(60, spikes), since_ms=0, until_ms=END
    )
    times = fired_at(firings)
    assert set(times) <= {m * MIN for m in spikes}
    assert all(b - a >= cooldown_s * 1000 for a, b in pairwise(times))
