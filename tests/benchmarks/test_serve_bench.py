"""`warden bench serve` small: a real warden serve, mosquitto and simulator process, and the
browser-like client signing in through the login form and walking every page. Checks the
report's shape and that the live pages stayed connected; never a memory bound or a timing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks import serve_bench
from warden.cli.main import cli


def test_the_fleet_counts_add_up_to_the_devices_asked_for() -> None:
    for devices in (1, 7, 1000):
        assert sum(serve_bench.fleet_counts(devices).values()) == devices


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_small_walk_reports_the_serve_process_memory(tmp_path: Path) -> None:
    result = serve_bench.run(tmp_path, devices=12, loads=3, live=2, rate=5)

    assert result["benchmark"] == "serve"
    assert result["live_pages_connected_at_end"] == 2
    assert len(result["samples_mb"]) == 3  # one sample after each round of the walk
    assert len(result["queue_depth_samples"]) == 3
    assert all(depth >= 0 for depth in result["queue_depth_samples"])
    assert result["pages"][-1].startswith("/devices/")  # a device's own page is walked too
    for key in ("rss_start_mb", "rss_end_mb", "rss_peak_mb"):
        assert result[key] > 0, key
    assert result["rss_peak_mb"] >= max(result["samples_mb"])
    assert isinstance(result["rss_growth_mb"], float)
    assert list(tmp_path.iterdir()) == []  # its scratch directory is removed


def test_the_command_refuses_zero_loads(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["bench", "serve", "--loads", "0", "--json"], env={"WARDEN_DATA_DIR": str(tmp_path)}
    )

    assert result.exit_code == 2
    assert "--loads" in result.output
