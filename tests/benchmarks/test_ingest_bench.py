"""`warden bench ingest` end to end with tiny numbers: a real mosquitto, the real collector,
the publisher process. Checks the report's shape and zero loss; never any timing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks import ingest_bench

KEYS = {
    "messages_per_s",
    "measurements_per_s",
    "paho_limit_per_s",
    "sqlite_limit_rows_per_s",
    "ratio",
    "lost",
    "duplicated",
    "peak_rss_mb",
    "messages",
    "devices",
    "target_ratio",
    "meets_target",
    "batches",
    "mean_batch",
}


def test_a_small_run_reports_every_figure_and_loses_nothing(tmp_path: Path) -> None:
    if not Path(ingest_bench.MOSQUITTO).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"mosquitto is not installed at {ingest_bench.MOSQUITTO}")
        pytest.skip(f"mosquitto is not installed at {ingest_bench.MOSQUITTO}")

    result = ingest_bench.run(
        messages=500,
        paho_messages=500,
        devices=5,
        sqlite_rows=2000,
        sqlite_batch_rows=500,
        timeout_s=30,
        workdir=tmp_path,
    )

    assert not KEYS - result.keys(), KEYS - result.keys()
    assert result["messages"] == 500
    assert result["completed"] is True
    assert result["lost"] == 0
    assert result["duplicated"] == 0
    assert result["rows_exact"] is True
    assert result["rows"] == 500 * 11  # 10 measurements and the derived power
    assert result["stored_messages"] == 500
    assert result["dead_letters"] == 0
    assert result["devices_seen"] == 5
    for key in ("messages_per_s", "measurements_per_s", "paho_limit_per_s"):
        assert result[key] > 0, key
    assert result["sqlite_limit_rows_per_s"] > 0
    assert result["ratio"] > 0
    assert result["peak_rss_mb"] > 0
    assert list(tmp_path.iterdir()) == []  # the broker's and the databases' files are gone
