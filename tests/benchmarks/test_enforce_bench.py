"""`warden bench enforce` with few runs, in its own throwaway namespaces (root only): the
report's shape, that every run read its class back on both paths and that nothing is left
behind; never any timing. Without root it must refuse cleanly."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks import enforce_bench, tc_peer
from tests.enforcement.conftest import require_net_admin
from warden.cli.main import cli

KEYS = {
    "p50_ms",
    "p99_ms",
    "max_ms",
    "runs",
    "failures",
    "failed_runs",
    "submit_p50_ms",
    "reconcile_p50_ms",
    "tc_subprocess_p50_ms",
    "tc_subprocess_p99_ms",
    "tc_subprocess_runs",
    "tc_subprocess_failures",
    "tc_subprocess_filters_left",
    "target_p99_ms",
    "meets_target",
    "faster_than_subprocess",
    "method",
}


def bench_namespaces() -> set[str]:
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=False)
    return {line.split()[0] for line in listed.stdout.splitlines() if line.startswith("wdbench-")}


@pytest.mark.root
def test_a_small_run_reads_every_change_back_on_both_paths(tmp_path: Path) -> None:
    require_net_admin()
    before = bench_namespaces()

    result = enforce_bench.run(tmp_path, runs=20)

    assert not KEYS - result.keys(), KEYS - result.keys()
    assert result["through_agent"] is True
    assert (result["runs"], result["failures"], result["failed_runs"]) == (20, 0, [])
    assert (result["tc_subprocess_runs"], result["tc_subprocess_failures"]) == (20, 0)
    assert result["tc_subprocess_filters_left"] == 1  # replaced, not added, every run
    for key in (
        "p50_ms",
        "p99_ms",
        "submit_p50_ms",
        "reconcile_p50_ms",
        "tc_subprocess_p50_ms",
        "tc_subprocess_p99_ms",
    ):
        assert result[key] > 0, key
    assert result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert result["tc_subprocess_p50_ms"] <= result["tc_subprocess_p99_ms"]
    assert result["target_p99_ms"] == 50
    assert isinstance(result["faster_than_subprocess"], bool)
    assert bench_namespaces() == before  # both namespaces deleted
    assert list(tmp_path.iterdir()) == []  # and the database


@pytest.mark.root
def test_the_command_prints_the_report_as_json(tmp_path: Path) -> None:
    require_net_admin()
    result = CliRunner().invoke(
        cli, ["bench", "enforce", "--runs", "20", "--json"], env={"WARDEN_DATA_DIR": str(tmp_path)}
    )

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["runs"], report["failures"], report["tc_subprocess_runs"]) == (20, 0, 20)


def test_without_net_admin_the_command_refuses_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(enforce_bench, "has_net_admin", lambda: False)
    result = CliRunner().invoke(
        cli, ["bench", "enforce", "--json"], env={"WARDEN_DATA_DIR": str(tmp_path)}
    )

    assert result.exit_code == 2
    assert enforce_bench.NEEDS_ROOT in result.output
    assert "Traceback" not in result.output


def test_fewer_than_20_runs_are_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["bench", "enforce", "--runs", "19"], env={"WARDEN_DATA_DIR": str(tmp_path)}
    )

    assert result.exit_code == 2
    assert "--runs" in result.output


def test_the_peer_reads_rates_from_tc_text_and_json_output() -> None:
    text = "class htb 1:10 root prio 0 rate 2Mbit ceil 2Mbit burst 1600b cburst 1600b \n"
    assert tc_peer.class_rate_bps(text, "1:10") == 2_000_000
    assert tc_peer.class_rate_bps(text.replace("2Mbit", "500Kbit"), "1:10") == 500_000
    assert tc_peer.class_rate_bps(text, "1:11") is None
    dumped = json.dumps([{"class": "htb", "handle": "1:10", "rate": 250_000}])
    assert tc_peer.class_rate_bps(dumped, "1:10") == 2_000_000
