"""``warden bench query``: chart windows of a day and of 30 days among 10 M stored rows,
Warden against the bare ``GROUP BY`` over the raw rows on the same file, in the same run.

The database is made once with Warden's own schema (migrations) and filled by SQLite itself
(a recursive CTE per series, sequential in the clustered key: 30 days of 1 Hz data per
series, as many series as the row count takes), rolled up by the agent's own rollup pass,
then reused by later runs. Each repeat times, one right after the other and in alternating
order so that neither always runs on a warmer cache:

- Warden: ``core.services.telemetry.query_series`` as a front end calls it (device and
  series lookup, tier choice, the aggregate, public models);
- bare: the ``GROUP BY`` over raw readings on a plain ``sqlite3`` connection, bucketed on
  the same grid, i.e. what the chart costs without rollups.

Both are timed in wall time and in CPU time of this process; the ratios (Warden / bare)
are of the median CPU times, which another busy process on the machine moves less.
"""

from __future__ import annotations

import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from collectors import data_jobs
from core.clock import from_ms
from core.db import Database
from core.services import telemetry
from core.services.telemetry import plan_window

DAY_S = 86_400
DAY_MS = DAY_S * 1000
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
_FILL_KEY = "bench.query.fill.v2"

RAW_SQL = (
    "SELECT (ts - ?) / ? AS bucket, min(value), max(value), avg(value), count(*) "
    "FROM reading WHERE series_id = ? AND ts >= ? AND ts < ? "
    "GROUP BY bucket ORDER BY bucket"
)


@dataclass(frozen=True)
class Fill:
    rows: int
    series: int
    days: int


class _FixedClock:
    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return time.monotonic()


def prepare(path: Path, rows: int, days: int = 1) -> tuple[Fill, float | None]:
    """Make (or reuse) a database at ``path`` holding at least ``rows`` readings: ``days``
    of 1 Hz data per series (fewer when ``rows`` is less than that), for as many series as
    that takes. Returns the fill and its duration in seconds (``None`` when reused)."""
    days = max(1, min(days, rows // DAY_S))
    per_series = days * DAY_S
    series = max(1, -(-rows // per_series))
    fill = Fill(rows=series * per_series, series=series, days=days)
    marker = f'{{"rows": {fill.rows}, "series": {series}, "days": {days}}}'
    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()
    with sqlite3.connect(path) as conn:
        found = conn.execute("SELECT value FROM setting WHERE key = ?", (_FILL_KEY,)).fetchone()
    if found == (marker,):
        return fill, None
    started = time.perf_counter()
    _fill(path, series, days, marker)
    return fill, time.perf_counter() - started


def roll_up(path: Path, fill: Fill) -> float | None:
    """Roll up what is pending with the agent's own job; its duration in seconds (``None``
    when there was nothing to do)."""
    started = time.perf_counter()
    db = Database(f"sqlite:///{path}")
    try:
        rolled = data_jobs.roll_up(
            db,
            _FixedClock(from_ms(START_MS + (fill.days + 1) * DAY_MS)),
            raw_retention_days=10_000,
            budget_s=3600,
            batch=2000,
        )
    finally:
        db.dispose()
    return time.perf_counter() - started if rolled else None


def _fill(path: Path, series: int, days: int, marker: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")  # a throwaway benchmark database
        conn.execute("BEGIN")
        for table in (
            "rollup_pending",
            "rollup_minute",
            "rollup_hour",
            "rollup_state",
            "reading",
            "series",
            "device",
            "setting",
        ):
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
                (days * DAY_S - 1, series_id, START_MS, n),
            )
        conn.execute(
            "INSERT INTO setting (key, value, updated_at) VALUES (?, ?, ?)",
            (_FILL_KEY, marker, now),
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else 0.0


def _timed(work: Callable[[], int]) -> tuple[float, float, int]:
    """(wall ms, CPU ms, points) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    points = work()
    return (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, points


def run(
    path: Path,
    *,
    rows: int = 10_000_000,
    points: int = 500,
    repeat: int = 30,
    days: int = 30,
) -> dict[str, Any]:
    fill, fill_s = prepare(path, rows, days)
    rollup_s = roll_up(path, fill)
    days = fill.days
    device_id = "bench-meter-0000"
    mid = START_MS + (days // 2) * DAY_MS
    windows = {
        "day": (mid, mid + DAY_MS),
        "30d": (START_MS, START_MS + days * DAY_MS),
    }
    db = Database(f"sqlite:///{path}")
    bare = sqlite3.connect(path)
    samples: dict[str, list[float]] = {
        f"{who}_{kind}_{name}": []
        for who in ("warden", "sqlite")
        for kind in ("wall", "cpu")
        for name in windows
    }
    figures: dict[str, dict[str, Any]] = {}
    try:
        series_id = bare.execute(
            "SELECT id FROM series WHERE device_id = ? AND metric = 'voltage_dc'", (device_id,)
        ).fetchone()[0]

        def warden_query(since: int, until: int) -> int:
            with db.reader() as session:
                window = telemetry.query_series(
                    session=session,
                    device_id=device_id,
                    metric="voltage_dc",
                    since=from_ms(since),
                    until=from_ms(until),
                    points=points,
                )
            figures.setdefault(
                f"{since}-{until}",
                {"tier": window.tier, "bucket_ms": window.bucket_ms, "rows": window.rows},
            )
            return len(window.points)

        def bare_query(since: int, until: int) -> int:
            plan = plan_window(since, until, points)
            return len(
                bare.execute(
                    RAW_SQL, (plan.origin, plan.bucket_ms, series_id, plan.origin, until)
                ).fetchall()
            )

        for attempt in range(repeat + 1):
            for name, (since, until) in windows.items():
                order = [("warden", warden_query), ("sqlite", bare_query)]
                if attempt % 2:
                    order.reverse()
                answers = {}
                for who, work in order:
                    wall, cpu, answers[who] = _timed(lambda w=work, s=since, u=until: w(s, u))
                    if attempt:  # the first round warms the page and statement caches
                        samples[f"{who}_wall_{name}"].append(wall)
                        samples[f"{who}_cpu_{name}"].append(cpu)
                if answers["warden"] != answers["sqlite"]:
                    raise RuntimeError(
                        f"{name}: warden gave {answers['warden']} points, "
                        f"the bare query {answers['sqlite']}"
                    )
    finally:
        bare.close()
        db.dispose()

    med = {key: _median(values) for key, values in samples.items()}

    def ratio(name: str) -> float | None:
        floor = med[f"sqlite_cpu_{name}"]
        return round(med[f"warden_cpu_{name}"] / floor, 4) if floor else None

    day, month = (figures[f"{s}-{u}"] for s, u in windows.values())
    return {
        "benchmark": "query",
        "rows": fill.rows,
        "series": fill.series,
        "days_per_series": days,
        "points": points,
        "repeat": repeat,
        "warden_ms": round(med["warden_wall_day"], 3),
        "sqlite_ms": round(med["sqlite_wall_day"], 3),
        "warden_cpu_ms": round(med["warden_cpu_day"], 3),
        "sqlite_cpu_ms": round(med["sqlite_cpu_day"], 3),
        "ratio_day": ratio("day"),
        "day": {**day, "window_rows": day["rows"]},
        "warden_30d_ms": round(med["warden_wall_30d"], 3),
        "sqlite_30d_ms": round(med["sqlite_wall_30d"], 3),
        "warden_30d_cpu_ms": round(med["warden_cpu_30d"], 3),
        "sqlite_30d_cpu_ms": round(med["sqlite_cpu_30d"], 3),
        "ratio_30d": ratio("30d"),
        "30d": month,
        "targets": {"ratio_day": 0.5, "ratio_30d": 0.05},
        "meets_targets": bool((ratio("day") or 1) <= 0.5 and (ratio("30d") or 1) <= 0.05),
        "db_bytes": path.stat().st_size,
        "fill_s": round(fill_s, 1) if fill_s is not None else None,
        "rollup_s": round(rollup_s, 1) if rollup_s is not None else None,
        "db_path": str(path),
    }
