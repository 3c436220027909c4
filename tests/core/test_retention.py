"""Retention: each kind of data goes when it is older than its setting, in small
transactions, rollups outlive the raw readings they came from, and the file gives the freed
space back."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from sqlalchemy import text

from collectors import data_jobs
from core.clock import from_ms
from core.models import DeadLetter, Finding, FindingStatus, LogEntry, ReadingIn
from core.runtime import Core
from core.services import retention, telemetry
from tests.factories import FakeClock, actor, make_device

DAY = 86_400_000
NOW = 1_780_000_000_000 - 1_780_000_000_000 % DAY


def _count(core: Core, sql: str) -> int:
    with core.db.reader() as session:
        return session.execute(text(sql)).scalar_one()


def _fill(core: Core, days: int, per_day: int) -> None:
    """``per_day`` readings on each of the last ``days`` days, rolled up."""
    with core.db.writer() as session:
        make_device(session, id="meter-1")
        for day in range(days):
            start = NOW - (day + 1) * DAY
            telemetry.append_readings(
                session=session,
                device_id="meter-1",
                readings=[
                    ReadingIn(metric="power", ts=start + i * (DAY // per_day), value=float(i))
                    for i in range(per_day)
                ],
                actor=actor(),
            )
    data_jobs.roll_up(core.db, FakeClock(from_ms(NOW)), raw_retention_days=10_000)


def test_each_tier_keeps_its_own_days_and_the_file_shrinks(core: Core, data_dir: Path) -> None:
    _fill(core, days=30, per_day=2000)
    with core.db.writer() as session:
        session.add(
            LogEntry(
                ts=NOW - 40 * DAY,
                host="r1",
                source="udp",
                facility=1,
                severity=6,
                log_class="system",
                message="old",
            )
        )
        session.add(
            LogEntry(
                ts=NOW - DAY,
                host="r1",
                source="udp",
                facility=1,
                severity=6,
                log_class="system",
                message="new",
            )
        )
        session.add(
            DeadLetter(
                received_at=from_ms(NOW - 40 * DAY),
                source="m",
                topic="t",
                reason="bad_json",
                size=1,
                head=b"x",
            )
        )
        session.add(
            Finding(
                rule_id="r",
                severity="low",
                key="a",
                summary="old fixed",
                first_seen=from_ms(NOW - 500 * DAY),
                last_seen=from_ms(NOW - 500 * DAY),
                status=FindingStatus.RESOLVED,
                resolved_at=from_ms(NOW - 400 * DAY),
            )
        )
        session.add(
            Finding(
                rule_id="r",
                severity="low",
                key="b",
                summary="old open",
                first_seen=from_ms(NOW - 500 * DAY),
                last_seen=from_ms(NOW - 500 * DAY),
            )
        )
    size_before = (data_dir / "warden.db").stat().st_size
    days = retention.retention_days(core.settings) | {
        retention.SeriesTable.READING: 7,
        retention.SeriesTable.ROLLUP_MINUTE: 20,
    }

    report = data_jobs.purge(core.db, FakeClock(from_ms(NOW)), days=days)

    assert _count(core, "SELECT min(ts) FROM reading") >= NOW - 7 * DAY
    assert _count(core, "SELECT count(*) FROM reading") == 7 * 2000
    assert _count(core, "SELECT min(bucket) FROM rollup_minute") >= NOW - 20 * DAY
    assert _count(core, "SELECT min(bucket) FROM rollup_hour") == NOW - 30 * DAY
    assert _count(core, "SELECT count(*) FROM log") == 1
    assert _count(core, "SELECT count(*) FROM dead_letter") == 0
    assert _count(core, "SELECT count(*) FROM finding") == 1
    assert report.deleted["reading"] == 23 * 2000
    assert report.pages_released > 0
    assert _count(core, "PRAGMA freelist_count") == 0
    with closing(sqlite3.connect(data_dir / "warden.db")) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert (data_dir / "warden.db").stat().st_size < size_before


def test_a_purge_batch_stops_at_its_limit_and_the_next_goes_on(core: Core) -> None:
    _fill(core, days=3, per_day=100)
    with core.db.writer() as session:
        deleted = retention.purge_series_batch(
            session=session, table=retention.SeriesTable.READING, before=from_ms(NOW), limit=120
        )
    assert deleted == 120
    assert _count(core, "SELECT count(*) FROM reading") == 180

    report = data_jobs.purge(
        core.db, FakeClock(from_ms(NOW + DAY)), days={retention.SeriesTable.READING: 1}
    )
    assert report.deleted == {"reading": 180}
    assert _count(core, "SELECT count(*) FROM reading") == 0


def test_new_files_are_in_incremental_auto_vacuum_mode(core: Core) -> None:
    assert _count(core, "PRAGMA auto_vacuum") == 2
