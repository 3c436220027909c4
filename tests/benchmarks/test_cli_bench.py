"""`warden bench cli` with one round and no demo: the report's shape and that every figure
was measured from a real process (the console's login screen was seen); never a timing."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from benchmarks import cli_bench
from warden.cli.main import cli

FIGURES = ("python_s", "help_s", "devices_list_s", "console_ready_s")


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_one_round_measures_every_command_against_python(tmp_path: Path) -> None:
    result = cli_bench.run(tmp_path, runs=1, device_count=3, demo=False)

    for key in FIGURES:
        assert result[key] > 0, key
        assert result["cpu_s"][key] > 0, key
    assert result["demo_http_ready_s"] is None
    assert result["demo_skipped"] == "not asked for (--no-demo)"
    assert result["devices_list_ratio"] == round(result["devices_list_s"] / result["python_s"], 1)
    assert set(result["targets_s"]) == {*FIGURES[1:], "demo_http_ready_s"}
    assert list(tmp_path.iterdir()) == []  # its data directory is removed


def test_the_command_refuses_zero_runs(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["bench", "cli", "--runs", "0", "--json"], env={"WARDEN_DATA_DIR": str(tmp_path)}
    )

    assert result.exit_code == 2
    assert "--runs" in result.output
