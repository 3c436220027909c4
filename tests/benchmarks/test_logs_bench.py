"""`warden bench logs` end to end with tiny numbers: the real syslog collector and writer,
the sender process, the shipped rule packs. Checks the report's shape and that TCP loses
nothing; never any timing."""

from __future__ import annotations

from pathlib import Path

from benchmarks import logs_bench
from core.syslog import parse_syslog

PACKS = Path(__file__).resolve().parents[2] / "data" / "rules"

KEYS = {
    "udp_lines_per_s",
    "udp_delivered_lines_per_s",
    "udp_loss_pct",
    "udp",
    "tcp_lines_per_s",
    "tcp_lost",
    "rules_lines_per_s",
    "parse_limit_lines_per_s",
    "lines",
    "peak_rss_mb",
    "findings",
}


def test_the_mix_is_parsed_into_several_classes() -> None:
    classes = {str(parse_syslog(logs_bench.line(n), received_ms=0).log_class) for n in range(200)}
    assert {"wifi", "auth", "dhcp", "connectivity"} <= classes


def test_a_small_run_reports_every_figure_and_tcp_loses_nothing(tmp_path: Path) -> None:
    result = logs_bench.run(
        PACKS, lines_count=1000, udp_rates=(500, 1000), udp_seconds=0.2, workdir=tmp_path
    )

    assert not KEYS - result.keys(), KEYS - result.keys()
    assert result["lines"] == 1000
    assert result["tcp_completed"] is True
    assert result["tcp_lost"] == 0
    assert [row["offered_lines_per_s"] for row in result["udp"]] == [500, 1000]
    assert all(row["sent"] == row["offered_lines_per_s"] // 5 for row in result["udp"])
    for key in ("tcp_lines_per_s", "rules_lines_per_s", "parse_limit_lines_per_s"):
        assert result[key] > 0, key
    assert result["rules_lines"] >= 1000
    assert result["findings"] > 0  # the dropbear storm, at least
    assert result["peak_rss_mb"] > 0
    assert list(tmp_path.iterdir()) == []  # the database is gone
