"""Judging one check against what was measured: the tolerance bands of ``<=`` and ``~=``
to their exact edges, ``==``, ``all`` checks, and the three ways a measure can be missing."""

from __future__ import annotations

import pytest

from core.models import Verdict
from enforcement.verification import Broken, Outcome, Unknown, Unobservable, judge, worst

S, D, V, U = Verdict.SATISFIED, Verdict.DEGRADED, Verdict.VIOLATED, Verdict.UNVERIFIABLE
LIMIT = {"measure": "class_rate_bps", "op": "<=", "value": 2_000_000}
CADENCE = {"measure": "report_interval_s", "op": "~=", "value": 60, "tolerance_pct": 10}
ACKED = {"measure": "config_acked", "op": "==", "value": {"send_interval_s": 60}}


@pytest.mark.parametrize(
    ("rate", "verdict"),
    [
        (0, S),
        (2_000_000, S),
        (2_100_000, S),  # exactly 5 % over
        (2_100_001, D),
        (2_300_000, D),  # exactly 15 % over
        (2_300_001, V),
        (4_000_000, V),
    ],
)
def test_an_upper_bound_holds_to_5_percent_over_and_is_degraded_to_15(
    rate: float, verdict: Verdict
) -> None:
    outcome = judge(LIMIT, {"class_rate_bps": float(rate)})
    assert outcome.verdict == verdict
    assert outcome.measured == {"class_rate_bps": float(rate)}


def test_an_upper_bound_says_how_far_over() -> None:
    assert judge(LIMIT, {"class_rate_bps": 4e6}).reason == (
        "class_rate_bps 4e+06 against at most 2e+06 (100% over)"
    )
    assert judge(LIMIT, {"class_rate_bps": 1e6}).reason == (
        "class_rate_bps 1e+06 against at most 2e+06"
    )


def test_an_upper_bound_of_zero_allows_nothing() -> None:
    zero = {"measure": "rtt_ms", "op": "<=", "value": 0}
    assert judge(zero, {"rtt_ms": 0}).verdict == S
    assert judge(zero, {"rtt_ms": 0.001}).verdict == V


@pytest.mark.parametrize(
    ("interval", "verdict"),
    [
        (60, S),
        (54, S),  # exactly 10 % under
        (66, S),  # exactly 10 % over
        (66.01, D),
        (45, D),  # exactly 2.5 times 10 % under
        (75, D),  # exactly 2.5 times 10 % over
        (75.01, V),
        (44.99, V),
    ],
)
def test_an_approximate_value_holds_within_its_tolerance_and_is_degraded_to_2_5_times(
    interval: float, verdict: Verdict
) -> None:
    assert judge(CADENCE, {"report_interval_s": interval}).verdict == verdict


def test_an_approximate_value_without_a_tolerance_gets_10_percent() -> None:
    loose = {k: v for k, v in CADENCE.items() if k != "tolerance_pct"}
    assert judge(loose, {"report_interval_s": 66}).verdict == S
    assert judge(loose, {"report_interval_s": 67}).verdict == D
    outcome = judge(CADENCE, {"report_interval_s": 90})
    assert outcome.reason == "report_interval_s 90 against 60 ± 10% (50% off)"


def test_equality() -> None:
    assert judge(ACKED, {"config_acked": {"send_interval_s": 60}}) == Outcome(
        S, "config_acked is {'send_interval_s': 60}", {"config_acked": {"send_interval_s": 60}}
    )
    outcome = judge(ACKED, {"config_acked": {"send_interval_s": 30}})
    assert outcome.verdict == V
    assert "wanted {'send_interval_s': 60}" in outcome.reason


def test_unknown_is_unverifiable_with_its_reason() -> None:
    outcome = judge(LIMIT, {"class_rate_bps": Unknown("dry run")})
    assert outcome == Outcome(U, "dry run", {"class_rate_bps": None})


def test_broken_is_a_violation_with_its_reason() -> None:
    outcome = judge(LIMIT, {"class_rate_bps": Broken("class 0x10 is missing")})
    assert outcome == Outcome(V, "class 0x10 is missing", {"class_rate_bps": None})


def test_a_measure_missing_entirely_is_unverifiable() -> None:
    outcome = judge(LIMIT, {"something_else": 1})
    assert outcome.verdict == U
    assert outcome.reason == "Warden cannot measure class_rate_bps"
    assert outcome.measured == {"unobservable": ["class_rate_bps"]}


def test_all_takes_the_worst_part() -> None:
    both = {"all": [ACKED, CADENCE]}
    acked = {"config_acked": {"send_interval_s": 60}}
    assert judge(both, {**acked, "report_interval_s": 60}).verdict == S
    degraded = judge(both, {**acked, "report_interval_s": 70})
    assert degraded.verdict == D
    assert degraded.reason.startswith("report_interval_s 70 against 60")
    assert degraded.measured == {**acked, "report_interval_s": 70}
    broken = judge(both, {**acked, "report_interval_s": Broken("device refused")})
    assert (broken.verdict, broken.reason) == (V, "device refused")
    waiting = judge(both, {**acked, "report_interval_s": Unknown("1 report interval seen")})
    assert (waiting.verdict, waiting.reason) == (U, "1 report interval seen")


def test_all_leaves_unobservable_parts_out_but_names_them() -> None:
    latency = {
        "all": [
            {"measure": "class_config", "op": "==", "value": {"prio": 0}},
            {"measure": "rtt_ms", "op": "<=", "value": 20},
        ]
    }
    held = judge(latency, {"class_config": {"prio": 0}, "rtt_ms": Unobservable("no probe")})
    assert held.verdict == S
    assert held.reason == "class_config is {'prio': 0} (not measured: rtt_ms)"
    not_held = judge(latency, {"class_config": {"prio": 4}})  # rtt_ms missing entirely
    assert not_held.verdict == V
    assert not_held.reason.endswith("(not measured: rtt_ms)")


def test_all_with_nothing_observable_is_unverifiable() -> None:
    outcome = judge(
        {"all": [LIMIT, CADENCE]},
        {"class_rate_bps": Unobservable("no counters"), "report_interval_s": Unobservable("no")},
    )
    assert outcome.verdict == U
    assert outcome.reason == "no counters; no"


def test_worst_decides_an_intent() -> None:
    assert worst([]) == Outcome(U, "nothing to check")
    outcomes = [Outcome(S, "fine"), Outcome(U, "dry run"), Outcome(D, "close"), Outcome(S, "ok")]
    assert worst(outcomes).reason == "close"
    assert worst([*outcomes, Outcome(V, "over")]).reason == "over"
    assert worst([Outcome(S, "a"), Outcome(U, "b")]).verdict == U


def test_a_part_measured_as_none_counts_in_an_all_check():
    """None is a measurement ("nothing holds"), not a missing one."""
    check = {
        "all": [
            {"measure": "ota_state", "op": "==", "value": "success"},
            {"measure": "firmware_version", "op": "==", "value": "2.0"},
        ]
    }
    outcome = judge(check, {"ota_state": None, "firmware_version": "2.0"})
    assert outcome.verdict == Verdict.VIOLATED
    assert outcome.reason == "ota_state is None, wanted 'success'"
