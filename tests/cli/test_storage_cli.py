"""``warden storage status``: rows, bytes, time range and projection per table and tier."""

from __future__ import annotations

from core.config import load_settings
from core.models import ReadingIn
from core.runtime import open_core
from core.services import runtime, telemetry
from tests.factories import actor, make_device


def _store_an_hour(data_dir) -> None:
    core = open_core(load_settings(data_dir=data_dir))
    try:
        now = core.clock.now()
        start = (
            int(now.timestamp() * 1000) - 1_800_000
        )  # half an hour ago: all inside the last hour
        with core.db.writer() as session:
            make_device(session, id="meter-1")
            telemetry.append_readings(
                session=session,
                device_id="meter-1",
                readings=[
                    ReadingIn(metric="power", ts=start + i * 1000, value=float(i))
                    for i in range(1800)
                ],
                actor=actor(),
            )
    finally:
        core.close()


def test_status_json_counts_rows_and_bytes_and_projects_the_raw_tier(warden, data_dir):
    _store_an_hour(data_dir)

    status = warden.json("storage", "status")

    tables = {t["name"]: t for t in status["tables"]}
    raw = tables["reading"]
    assert raw["tier"] == "raw"
    assert raw["rows"] == 1800
    assert raw["bytes"] > 1800 * 8
    assert raw["retention_days"] == 7
    assert raw["rows_per_day"] == 1800 * 24
    # a week of this rate at today's bytes per row
    assert raw["projected_bytes"] == int(1800 * 24 * 7 * raw["bytes"] / 1800)
    assert raw["oldest"] < raw["newest"]
    assert {"rollup_minute", "rollup_hour", "log", "change_log"} <= tables.keys()
    assert status["exact_bytes"] is True
    assert status["file_bytes"] > 0
    assert status["projected_bytes"] >= raw["projected_bytes"]


def test_status_table_names_the_tiers(warden, data_dir):
    _store_an_hour(data_dir)

    result = warden("storage", "status")

    assert result.exit_code == 0, result.output
    assert "reading" in result.output
    assert "raw" in result.output
    assert "projected size" in result.output
    assert "agent not running" in result.output


def test_stats_and_storage_status_show_the_running_agent_bytes_written(warden, data_dir):
    core = open_core(load_settings(data_dir=data_dir))
    try:
        with core.db.writer() as session:
            runtime.put_state(
                session=session,
                key=runtime.AGENT_KEY,
                value={
                    "pid": 1,
                    "brokers": [],
                    "queue_depth": 0,
                    "bytes_written": 123_456_789,
                    "bytes_written_per_hour": 2_000_000.0,
                },
                now=core.clock.now(),
            )
    finally:
        core.close()

    stats = warden("stats")
    status = warden.json("storage", "status")

    assert stats.exit_code == 0, stats.output
    assert "bytes written" in stats.output
    assert "123456789 (2,000,000 per hour)" in stats.output
    assert status["bytes_written"] == 123_456_789
    assert status["bytes_written_per_hour"] == 2_000_000.0
