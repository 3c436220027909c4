"""`warden telemetry query`, `warden stats` and `warden bench query` on real databases."""

import json

from benchmarks import query_bench


def test_day_at_1hz_among_a_million_rows_comes_back_as_500_points(warden, data_dir):
    fill, _ = query_bench.prepare(data_dir / "warden.db", rows=1_000_000)
    assert fill.rows >= 1_000_000
    window = warden.json(
        "telemetry",
        "query",
        "bench-meter-0003",
        "--metric",
        "voltage_dc",
        "--since",
        "2026-01-01T00:00:00Z",
        "--until",
        "2026-01-02T00:00:00Z",
    )
    # at most 500 points: 3-minute buckets of the 1-minute tier (docs/storage.md)
    assert len(window["points"]) == 480
    assert window["bucket_ms"] == 180_000
    assert window["rows"] == 86_400
    assert sum(p["count"] for p in window["points"]) == 86_400
    assert all(p["min"] <= p["avg"] <= p["max"] for p in window["points"])
    stats = warden.json("stats")
    assert stats["readings"] == fill.rows
    assert stats["series"] == fill.series


def test_query_table_and_relative_times(warden, data_dir):
    query_bench.prepare(data_dir / "warden.db", rows=86_400)
    result = warden(
        "telemetry",
        "query",
        "bench-meter-0000",
        "-m",
        "voltage_dc",
        "--since",
        "1767225600",
        "--until",
        "1767229200",
        "--points",
        "60",
    )
    assert result.exit_code == 0, result.output
    assert "60 points from 3600 readings" in result.output
    # No data in the default last hour: an empty answer, not an error.
    recent = warden.json("telemetry", "query", "bench-meter-0000", "-m", "voltage_dc")
    assert recent["points"] == []


def test_unknown_metric_names_the_known_ones(warden, data_dir):
    query_bench.prepare(data_dir / "warden.db", rows=86_400)
    result = warden("telemetry", "query", "bench-meter-0000", "-m", "current_dc")
    assert result.exit_code == 2
    assert "voltage_dc" in result.output


def test_bench_query_prints_both_figures_from_one_run(warden, data_dir):
    result = warden("bench", "query", "--rows", "86400", "--repeat", "2", "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures["rows"] == 86_400
    assert figures["points"] == 500
    assert figures["warden_ms"] > 0 and figures["sqlite_ms"] > 0
    assert (data_dir / "bench" / "query.db").is_file()
