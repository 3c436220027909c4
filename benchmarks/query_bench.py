"""``warden bench query``: a day of 1 Hz data as a 500-point chart, out of 10 M stored rows.

The database is made once with Warden's own schema (migrations) and filled by SQLite
itself (a recursive CTE per series, sequential in the clustered key), then reused by later
runs. The same query is timed two ways in the same run:

- ``warden_ms``: ``core.services.telemetry.query_series`` through SQLAlchemy, as a front end
  calls it (device lookup, series lookup, bucketed aggregate, public models);
- ``sqlite_ms``: the same aggregate SQL on a bare ``sqlite3`` connection, the floor.

Both report the median of ``repeat`` runs after a warm-up, plus the 99th percentile.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.clock import from_ms
from core.db import Database
from core.services import telemetry

DAY_S = 86_400
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
TARGET_MS = 50.0
_FILL_KEY = "bench.query.fill"

RAW_SQL = (
    "SELECT (ts - ?) / ? AS bucket, min(value), max(value), avg(value), count(*) "
    "FROM reading WHERE series_id = ? AND ts >= ? AND ts < ? "
    "GROUP BY bucket ORDER BY bucket"
)


@dataclass(frozen=True)
class Fill:
    rows: int
    series: int


def _series_count(rows: int) -> int:
    return max(1, -(-rows // DAY_S))


def prepare(path: Path, rows: int) -> tuple[Fill, float | None]:
    """Make (or reuse) a database at ``path`` holding ``rows`` readings: whole days of
    1 Hz data for as many series as that takes. Returns the fill and its duration in
    seconds (``None`` when an existing database was reused)."""
    series = _series_count(rows)
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    with sqlite3.connect(path) as conn:
        found = conn.execute("SELECT value FROM setting WHERE key = ?", (_FILL_KEY,)).fetchone()
        if found == (f'{{"rows": {series * DAY_S}, "series": {series}}}',):
            return Fill(rows=series * DAY_S, series=series), None
    started = time.perf_counter()
    _fill(path, series)
    return Fill(rows=series * DAY_S, series=series), time.perf_counter() - started


def _fill(path: Path, series: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")  # a throwaway benchmark database
        conn.execute("BEGIN")
        for table in ("reading", "series", "device", "setting"):
            conn.execute(f"DELETE FROM {table}")
        now = datetime.now(UTC).isoformat(sep=" ")
        for n in range(series):
            device_id = f"bench-meter-{n:04d}"
            conn.execute(
                "INSERT INTO device (id, name, type, tags, status, enabled, created_at, "
                "updated_at) VALUES (?, ?, 'power_meter', '[]', 'online', 1, ?, ?)",
                (device_id, device_id, now, now),
            )
            series_id = conn.execute(
                "INSERT INTO series (device_id, metric, unit) VALUES (?, 'voltage_dc', 'V') "
                "RETURNING id",
                (device_id,),
            ).fetchone()[0]
            conn.execute(
                "WITH RECURSIVE second(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM second "
                "WHERE x < ?) INSERT INTO reading (series_id, ts, value) "
                "SELECT ?, ? + x * 1000, 700.0 + (x * 7 + ?) % 113 * 0.5 FROM second",
                (DAY_S - 1, series_id, START_MS, n),
            )
        conn.execute(
            "INSERT INTO setting (key, value, updated_at) VALUES (?, ?, ?)",
            (_FILL_KEY, f'{{"rows": {series * DAY_S}, "series": {series}}}', now),
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def run(
    path: Path, *, rows: int = 10_000_000, points: int = 500, repeat: int = 30
) -> dict[str, Any]:
    fill, fill_s = prepare(path, rows)
    device_id = "bench-meter-0000"
    since, until = from_ms(START_MS), from_ms(START_MS + DAY_S * 1000)
    db = Database(f"sqlite:///{path}")
    warden_samples: list[float] = []
    result_points = 0
    try:
        for attempt in range(repeat + 1):
            started = time.perf_counter()
            with db.reader() as session:
                window = telemetry.query_series(
                    session=session,
                    device_id=device_id,
                    metric="voltage_dc",
                    since=since,
                    until=until,
                    points=points,
                )
            elapsed = (time.perf_counter() - started) * 1000
            if attempt:  # the first run warms the page cache and the statement cache
                warden_samples.append(elapsed)
            result_points = len(window.points)
    finally:
        db.dispose()

    bucket_ms = window.bucket_ms
    raw = sqlite3.connect(path)
    sqlite_samples: list[float] = []
    try:
        series_id = raw.execute(
            "SELECT id FROM series WHERE device_id = ? AND metric = 'voltage_dc'", (device_id,)
        ).fetchone()[0]
        for attempt in range(repeat + 1):
            started = time.perf_counter()
            raw_rows = raw.execute(
                RAW_SQL, (START_MS, bucket_ms, series_id, START_MS, START_MS + DAY_S * 1000)
            ).fetchall()
            elapsed = (time.perf_counter() - started) * 1000
            if attempt:
                sqlite_samples.append(elapsed)
    finally:
        raw.close()
    if len(raw_rows) != result_points:
        raise RuntimeError(f"warden gave {result_points} points, sqlite {len(raw_rows)}")

    warden_ms, warden_p99 = _percentiles(warden_samples)
    sqlite_ms, sqlite_p99 = _percentiles(sqlite_samples)
    return {
        "benchmark": "query",
        "rows": fill.rows,
        "series": fill.series,
        "window_rows": window.rows,
        "points": result_points,
        "repeat": repeat,
        "warden_ms": round(warden_ms, 2),
        "warden_p99_ms": round(warden_p99, 2),
        "sqlite_ms": round(sqlite_ms, 2),
        "sqlite_p99_ms": round(sqlite_p99, 2),
        "overhead_ratio": round(warden_ms / sqlite_ms, 3) if sqlite_ms else None,
        "target_ms": TARGET_MS,
        "meets_target": warden_ms < TARGET_MS,
        "db_bytes": path.stat().st_size,
        "fill_s": round(fill_s, 1) if fill_s is not None else None,
        "db_path": str(path),
    }
