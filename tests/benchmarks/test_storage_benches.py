"""`warden bench query --quick` and `warden bench retention --quick` run end to end and
report every figure; never any timing."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from warden.cli.main import cli


def _bench(data_dir: Path, *args: str) -> dict:
    result = CliRunner().invoke(
        cli, ["bench", *args, "--quick", "--json"], env={"WARDEN_DATA_DIR": str(data_dir)}
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_query_bench_quick_reports_both_windows(data_dir: Path) -> None:
    result = _bench(data_dir, "query")

    assert {"warden_ms", "sqlite_ms", "rows", "ratio_day", "ratio_30d"} <= result.keys()
    assert result["rows"] == 3 * 86_400
    assert result["day"]["window_rows"] == 86_400
    assert result["day"]["tier"] == "1m"
    assert result["30d"]["rows"] == 3 * 86_400
    assert result["ratio_day"] > 0
    assert result["ratio_30d"] > 0


def test_retention_bench_quick_levels_off_where_predicted(data_dir: Path) -> None:
    result = _bench(data_dir, "retention")

    assert {"plateau_bytes", "predicted_bytes", "max_lock_ms"} <= result.keys()
    assert result["rows"] == result["predicted_rows"]
    assert (
        abs(result["plateau_bytes"] - result["predicted_bytes"]) < 0.1 * result["predicted_bytes"]
    )
    assert result["max_lock_ms"] > 0
