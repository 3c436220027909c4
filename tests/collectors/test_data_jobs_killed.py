"""kill -9 in the middle of a rollup pass or a retention purge loses nothing: after the
restart the rollups are exact and nothing inside retention is gone. The jobs run in a real
child process that is killed with SIGKILL once it has committed a first batch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import text

from collectors import data_jobs
from core.clock import from_ms
from core.config import load_settings
from core.models import ReadingIn
from core.runtime import open_core
from core.services import retention, telemetry
from tests.factories import FakeClock, actor, make_device

DAY = 86_400_000
T0 = 1_780_000_000_000 - 1_780_000_000_000 % DAY

_CHILD = """
import sys
from collectors import data_jobs
from core.clock import from_ms
from core.db import Database
from core.services import retention
from tests.factories import FakeClock

db = Database(sys.argv[1])
clock = FakeClock(from_ms(int(sys.argv[3])))
if sys.argv[2] == "rollup":
    while True:
        data_jobs.roll_up(db, clock, raw_retention_days=10_000, batch=3, budget_s=0)
        print("committed", flush=True)
else:
    data_jobs.FIRST_BATCH = 100
    data_jobs.MAX_BATCH = 100
    original = retention.purge_series_batch

    def announced(**kwargs):
        result = original(**kwargs)
        print("committed", flush=True)
        return result

    retention.purge_series_batch = announced
    data_jobs.purge(db, clock, days={retention.SeriesTable.READING: 2})
    print("finished", flush=True)
"""


def _kill_after_first_commit(url: str, job: str, now_ms: int) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, url, job, str(now_ms)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "committed"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def _fill(core, days: int) -> None:
    with core.db.writer() as session:
        for n in range(3):
            make_device(session, id=f"meter-{n}")
            telemetry.append_readings(
                session=session,
                device_id=f"meter-{n}",
                readings=[
                    ReadingIn(metric="power", ts=T0 - days * DAY + i * 20_000, value=float(i % 97))
                    for i in range(days * DAY // 20_000)
                ],
                actor=actor(),
            )


def _scalar(core, sql: str):
    with core.db.reader() as session:
        return session.execute(text(sql)).scalar_one()


def test_a_rollup_pass_killed_half_way_ends_exact_after_the_restart(data_dir: Path) -> None:
    core = open_core(load_settings(data_dir=data_dir))
    try:
        _fill(core, days=1)
        _kill_after_first_commit(core.db.url, "rollup", T0 + DAY)
        assert _scalar(core, "SELECT count(*) FROM rollup_pending") > 0  # really half-way

        data_jobs.roll_up(core.db, FakeClock(from_ms(T0 + DAY)), raw_retention_days=10_000)

        assert _scalar(core, "SELECT count(*) FROM rollup_pending") == 0
        mismatched = _scalar(
            core,
            "SELECT count(*) FROM rollup_minute m WHERE m.count != (SELECT count(*) FROM "
            "reading r WHERE r.series_id = m.series_id AND r.ts >= m.bucket AND r.ts < "
            "m.bucket + 60000) OR m.sum != (SELECT sum(value) FROM reading r WHERE r.series_id "
            "= m.series_id AND r.ts >= m.bucket AND r.ts < m.bucket + 60000)",
        )
        assert mismatched == 0
        assert _scalar(core, "SELECT sum(count) FROM rollup_minute") == _scalar(
            core, "SELECT count(*) FROM reading"
        )
        assert _scalar(core, "SELECT sum(count) FROM rollup_hour") == _scalar(
            core, "SELECT count(*) FROM reading"
        )
    finally:
        core.close()


def test_a_purge_killed_half_way_keeps_everything_inside_retention(data_dir: Path) -> None:
    core = open_core(load_settings(data_dir=data_dir))
    try:
        _fill(core, days=4)
        kept_before = _scalar(core, f"SELECT count(*) FROM reading WHERE ts >= {T0 - 2 * DAY}")
        total_before = _scalar(core, "SELECT count(*) FROM reading")

        _kill_after_first_commit(core.db.url, "purge", T0)

        assert _scalar(core, "SELECT count(*) FROM reading") < total_before  # it had begun
        assert (
            _scalar(core, f"SELECT count(*) FROM reading WHERE ts >= {T0 - 2 * DAY}") == kept_before
        )
        data_jobs.purge(core.db, FakeClock(from_ms(T0)), days={retention.SeriesTable.READING: 2})
        assert _scalar(core, "SELECT count(*) FROM reading") == kept_before
        assert _scalar(core, "PRAGMA integrity_check") == "ok"
    finally:
        core.close()
