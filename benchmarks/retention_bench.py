"""``warden bench retention``: a simulated year of a fleet, to see the file level off where
the retention settings say it will, and how long the purge holds the write lock.

Time is compressed with an injected clock: each simulated day, every device's readings of
that day are stored (through the ``reading`` trigger, as the ingest writer stores them),
then the agent's own jobs run as they would have during the day: the rollup pass and the
retention purge (which ends with an incremental vacuum). The file's size is sampled after
every day (write-ahead log checkpointed).

``predicted_bytes`` is what the settings predict for the end of the run: for each tier,
the rows it holds then (rows per day x the days it keeps, no more than the days simulated)
times its bytes per row, measured once early in the run (dbstat), plus the rest of the
schema. ``plateau_bytes`` is the file's size at the end; ``growth_last_quarter_pct``
says whether it still grew in the last quarter of the run (the 1-hour tier keeps two
years by default, so in one year it does).
``max_lock_ms`` is the longest purge transaction, from taking the write lock to commit
(``lock_ms_p50`` and ``lock_ms_p99`` the typical ones: on a busy machine the longest is
usually a transaction that lost the CPU or waited on the disk's flush, not a big batch).
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from collectors import data_jobs
from core.clock import from_ms
from core.db import Database
from core.services import retention

DAY_MS = 86_400_000
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
TIERS = ("reading", "rollup_minute", "rollup_hour")


class SimClock:
    """The injected clock: the simulated time, moved a day at a time."""

    def __init__(self, now_ms: int) -> None:
        self.now_ms = now_ms

    def now(self) -> datetime:
        return from_ms(self.now_ms)

    def monotonic(self) -> float:
        return time.monotonic()


@dataclass(frozen=True)
class Fleet:
    devices: int
    interval_s: int

    @property
    def per_day(self) -> int:
        return DAY_MS // (self.interval_s * 1000)


def _setup(path: Path, fleet: Fleet) -> list[int]:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        ids = []
        for n in range(fleet.devices):
            device_id = f"sim-{n:05d}"
            conn.execute(
                "INSERT INTO device (id, name, type, tags, status, enabled, created_at, "
                "updated_at) VALUES (?, ?, 'sensor', '[]', 'online', 1, '2026-01-01 00:00:00', "
                "'2026-01-01 00:00:00')",
                (device_id, device_id),
            )
            ids.append(
                conn.execute(
                    "INSERT INTO series (device_id, metric, unit) VALUES (?, 'temperature', "
                    "'C') RETURNING id",
                    (device_id,),
                ).fetchone()[0]
            )
        conn.execute("COMMIT")
    finally:
        conn.close()
    return ids


def _store_day(conn: sqlite3.Connection, series: list[int], fleet: Fleet, day: int) -> None:
    start = START_MS + day * DAY_MS
    step = fleet.interval_s * 1000
    conn.execute("BEGIN IMMEDIATE")
    for k, series_id in enumerate(series):
        offset = (k * 7919) % step  # devices do not all report on the same second
        conn.executemany(
            "INSERT INTO reading (series_id, ts, value) VALUES (?, ?, ?)",
            (
                (series_id, start + offset + i * step, 20.0 + (i * 13 + k) % 50 * 0.1)
                for i in range(fleet.per_day)
            ),
        )
    conn.execute("COMMIT")


def _file_bytes(conn: sqlite3.Connection, path: Path) -> int:
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def _table_bytes(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    """(rows, bytes) of each tier."""
    sizes = dict(
        conn.execute(
            "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
            "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1"
        ).fetchall()
    )
    return {
        t: (conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0], sizes.get(t, 0)) for t in TIERS
    }


def run(
    path: Path,
    *,
    devices: int = 1000,
    days: int = 365,
    interval_s: int = 3600,
    keep: dict[str, int],
) -> dict[str, Any]:
    """Simulate ``days`` of ``devices`` reporting every ``interval_s`` under the retention
    ``keep`` (days per tier: ``reading``, ``rollup_minute``, ``rollup_hour``)."""
    fleet = Fleet(devices=devices, interval_s=interval_s)
    series = _setup(path, fleet)
    db = Database(f"sqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    clock = SimClock(START_MS)
    policy = {
        retention.SeriesTable.READING: keep["reading"],
        retention.SeriesTable.ROLLUP_MINUTE: keep["rollup_minute"],
        retention.SeriesTable.ROLLUP_HOUR: keep["rollup_hour"],
    }
    sizes: list[int] = []
    max_lock_ms = 0.0
    lock_by: dict[str, float] = {}
    holds: list[float] = []
    rollup_s = purge_s = 0.0
    calibration: dict[str, tuple[int, int]] = {}
    base_bytes = _file_bytes(conn, path)
    started = time.perf_counter()
    try:
        for day in range(days):
            _store_day(conn, series, fleet, day)
            clock.now_ms = START_MS + (day + 1) * DAY_MS  # the day has ended
            t0 = time.perf_counter()
            data_jobs.roll_up(
                db, clock, raw_retention_days=keep["reading"], budget_s=3600, batch=5000
            )
            t1 = time.perf_counter()
            report = data_jobs.purge(db, clock, days=policy, budget_s=3600)
            purge_s += time.perf_counter() - t1
            rollup_s += t1 - t0
            max_lock_ms = max(max_lock_ms, report.max_hold_ms)
            holds.extend(report.holds_ms)
            for name, held in report.max_hold_ms_by.items():
                lock_by[name] = max(lock_by.get(name, 0.0), held)
            sizes.append(_file_bytes(conn, path))
            if day == min(days, 7) - 1:
                calibration = _table_bytes(conn)
        final = _table_bytes(conn)
    finally:
        conn.close()
        db.dispose()
    per_row = {t: calibration[t][1] / calibration[t][0] for t in TIERS if calibration[t][0]}
    rows_per_day = {
        "reading": fleet.per_day * devices,
        "rollup_minute": fleet.per_day * devices,  # one reading per minute at most
        "rollup_hour": min(fleet.per_day, 24) * devices,
    }
    predicted_rows = {t: rows_per_day[t] * min(days, keep[t]) for t in TIERS}
    predicted = base_bytes + int(sum(predicted_rows[t] * per_row.get(t, 0) for t in TIERS))
    quarter_ago = sizes[-(len(sizes) // 4) - 1]
    return {
        "benchmark": "retention",
        "devices": devices,
        "days": days,
        "interval_s": interval_s,
        "retention_days": keep,
        "plateau_bytes": sizes[-1],
        "predicted_bytes": predicted,
        "error_pct": round(100 * (sizes[-1] - predicted) / predicted, 1),
        "max_bytes": max(sizes),
        "growth_last_quarter_pct": round(100 * (sizes[-1] - quarter_ago) / quarter_ago, 1),
        "max_lock_ms": round(max_lock_ms, 1),
        "max_lock_ms_by": lock_by,
        "lock_ms_p50": round(statistics.median(holds), 1) if holds else None,
        "lock_ms_p99": round(sorted(holds)[int(0.99 * (len(holds) - 1))], 1) if holds else None,
        "purge_transactions": len(holds),
        "rows": {t: final[t][0] for t in TIERS},
        "predicted_rows": predicted_rows,
        "bytes_per_row": {t: round(v, 1) for t, v in per_row.items()},
        "size_by_week": sizes[6::7],
        "rollup_s": round(rollup_s, 1),
        "purge_s": round(purge_s, 1),
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
