"""The scheduled jobs that keep the stored data in shape: the rollup pass and the
retention purge. The agent schedules them (APScheduler, ``coalesce=True,
max_instances=1``); tests and the benches call them with a fake clock.

Each job works in short transactions (one batch each) so the ingest writer, which waits
for the write lock, never waits long; a job that runs out of its time budget stops and the
next run goes on where it stopped.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import text
from sqlmodel import Session

from core.clock import Clock, to_ms
from core.db import Database
from core.services import retention, rollups

log = logging.getLogger(__name__)

ROLLUP_BATCH = 500
"""Pending minutes per rollup transaction (about 30 000 raw readings at 1 Hz)."""


def roll_up(
    db: Database,
    clock: Clock,
    *,
    raw_retention_days: int,
    budget_s: float = 20.0,
    batch: int = ROLLUP_BATCH,
) -> int:
    """Roll up the pending minutes that have ended; returns how many were rolled up. The
    batch starts at ``batch`` minutes and is tuned, like the purge's, so a transaction
    holds the write lock for about ``TARGET_HOLD_S``."""
    step = partial(
        _rollup_step,
        before_ms=to_ms(clock.now()),
        horizon_ms=to_ms(clock.now() - timedelta(days=raw_retention_days)),
    )
    timed = _Timed(db, PurgeReport(), first=batch)
    deadline = time.monotonic() + budget_s
    total = 0
    while True:
        limit = timed.limit
        done = timed.run("rollup", step)
        total += done
        if done < limit or time.monotonic() > deadline:
            break
    if total:
        log.debug("rolled up %d minute(s)", total)
    return total


def _rollup_step(session: Session, limit: int, *, before_ms: int, horizon_ms: int) -> int:
    return rollups.roll_up_batch(
        session=session, before_ms=before_ms, horizon_ms=horizon_ms, limit=limit
    )


TARGET_HOLD_S = 0.05
"""How long one purge transaction should hold the write lock."""
FIRST_BATCH = 500
MAX_BATCH = 50_000
VACUUM_PAGES = 256
"""Free pages given back per transaction (1 MiB at 4 KiB pages)."""


@dataclass
class PurgeReport:
    deleted: dict[str, int] = field(default_factory=dict)
    transactions: int = 0
    max_hold_ms: float = 0.0
    max_hold_ms_by: dict[str, float] = field(default_factory=dict)
    """The longest hold of each table's deletes (and of ``vacuum``)."""
    holds_ms: list[float] = field(default_factory=list)
    """Every transaction's hold, in order."""
    pages_released: int = 0


class _Timed:
    """Runs one write transaction after another, tuning the batch size so each takes about
    ``TARGET_HOLD_S``, and keeps the longest."""

    def __init__(self, db: Database, report: PurgeReport, *, first: int = 0) -> None:
        self.db = db
        self.report = report
        self.limit = first or FIRST_BATCH
        self.floor = min(100, self.limit)

    def run(self, name: str, work: Callable[[Session, int], int]) -> int:
        """One transaction of ``work`` (which does at most ``limit`` units and says how
        many it did); a full batch that was quick makes the next one bigger, a slow one
        smaller."""
        with self.db.writer() as session:
            # The hold starts when the write lock is taken (BEGIN IMMEDIATE), not before.
            session.execute(text("SELECT 1"))
            started = time.perf_counter()
            done = work(session, self.limit)
            held = time.perf_counter() - started
        held_ms = held * 1000
        self.report.transactions += 1
        self.report.holds_ms.append(held_ms)
        self.report.max_hold_ms = max(self.report.max_hold_ms, held_ms)
        by = self.report.max_hold_ms_by
        by[name] = round(max(by.get(name, 0.0), held_ms), 1)
        if held > TARGET_HOLD_S:
            self.limit = max(self.floor, int(self.limit * TARGET_HOLD_S / held))
        elif held < TARGET_HOLD_S / 2 and done >= self.limit:
            self.limit = min(MAX_BATCH, self.limit * 2)
        return done


def purge(
    db: Database,
    clock: Clock,
    *,
    days: dict[retention.SeriesTable | retention.RowTable, int],
    budget_s: float = 300.0,
) -> PurgeReport:
    """Delete what every table keeps no longer, in short transactions, then give the freed
    pages back to the file system. Stops at ``budget_s``; the next run goes on."""
    report = PurgeReport()
    timed = _Timed(db, report)
    deadline = time.monotonic() + budget_s
    now = clock.now()
    for table, keep in days.items():
        before = now - timedelta(days=keep)
        deleted = 0
        step = partial(
            _series_step if isinstance(table, retention.SeriesTable) else _rows_step,
            table=table,
            before=before,
        )
        while time.monotonic() < deadline:
            limit = timed.limit
            n = timed.run(str(table), step)
            deleted += n
            if n < limit:
                break
        report.deleted[str(table)] = deleted
    while time.monotonic() < deadline:
        released = timed.run("vacuum", _vacuum_step)
        report.pages_released += released
        if released < VACUUM_PAGES:
            break
    if any(report.deleted.values()):
        log.info(
            "retention: deleted %s; %d pages released; longest lock %.1f ms",
            {k: v for k, v in report.deleted.items() if v},
            report.pages_released,
            report.max_hold_ms,
        )
    return report


def _series_step(
    session: Session, limit: int, *, table: retention.SeriesTable, before: datetime
) -> int:
    return retention.purge_series_batch(session=session, table=table, before=before, limit=limit)


def _rows_step(session: Session, limit: int, *, table: retention.RowTable, before: datetime) -> int:
    return retention.purge_rows_batch(session=session, table=table, before=before, limit=limit)


def _vacuum_step(session: Session, _limit: int) -> int:
    return retention.release_free_pages(session=session, pages=VACUUM_PAGES)
