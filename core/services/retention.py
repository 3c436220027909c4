"""Retention: deleting what is older than each kind of data is kept, a small batch at a time.

Each call deletes at most ``limit`` rows and commits, so one transaction holds the write
lock only briefly; the purge job calls it again until nothing is left and tunes ``limit``
to the time a batch took. Series tables (raw readings and the rollup tiers) are walked one
series at a time along their clustered ``(series_id, time)`` key, never scanned whole.
After a purge on SQLite, ``release_free_pages`` gives the freed pages back to the file
system (the file is in ``auto_vacuum=INCREMENTAL`` mode).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, delete, text
from sqlmodel import Session, col, select

from core.clock import to_ms
from core.models import ChangeLog, Command, DeadLetter, Finding, FindingStatus, LogEntry


class SeriesTable(StrEnum):
    """Tables keyed by (series, time): raw readings and the rollup tiers."""

    READING = "reading"
    ROLLUP_MINUTE = "rollup_minute"
    ROLLUP_HOUR = "rollup_hour"

    @property
    def time_column(self) -> str:
        return "ts" if self is SeriesTable.READING else "bucket"


class RowTable(StrEnum):
    """Tables with a row id and a time that decides their age."""

    LOG = "log"
    DEAD_LETTER = "dead_letter"
    FINDING = "finding"
    COMMAND = "command"
    AUDIT = "change_log"


def purge_series_batch(
    *, session: Session, table: SeriesTable, before: datetime, limit: int
) -> int:
    """Delete up to ``limit`` rows older than ``before`` from ``table`` and commit; returns
    how many. One statement: the series in id order, each one's old rows by a seek on the
    clustered key, until ``limit`` rows are found; a series with nothing old costs a seek."""
    column = table.time_column
    result = session.execute(
        text(
            f"DELETE FROM {table} WHERE (series_id, {column}) IN ("
            f"SELECT r.series_id, r.{column} FROM series s JOIN {table} r "
            f"ON r.series_id = s.id AND r.{column} < :cut ORDER BY s.id LIMIT :limit)"
        ),
        {"cut": to_ms(before), "limit": limit},
    )
    session.commit()
    return max(result.rowcount or 0, 0)


def _row_condition(table: RowTable, before: datetime) -> tuple[Any, ColumnElement[bool]]:
    if table is RowTable.LOG:
        return LogEntry, col(LogEntry.ts) < to_ms(before)
    if table is RowTable.DEAD_LETTER:
        return DeadLetter, col(DeadLetter.received_at) < before
    if table is RowTable.FINDING:
        return Finding, (col(Finding.status) == FindingStatus.RESOLVED) & (
            col(Finding.resolved_at) < before
        )
    if table is RowTable.COMMAND:
        return Command, col(Command.finished_at) < before
    return ChangeLog, col(ChangeLog.at) < before


def purge_rows_batch(*, session: Session, table: RowTable, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` of the oldest rows of ``table`` older than ``before`` (for
    findings: resolved before it; for commands: finished before it) and commit."""
    model, condition = _row_condition(table, before)
    oldest = select(model.id).where(condition).order_by(col(model.id)).limit(limit)
    result = session.execute(delete(model).where(col(model.id).in_(oldest.scalar_subquery())))
    session.commit()
    return max(result.rowcount or 0, 0)


def free_pages(*, session: Session) -> int:
    """Pages of the SQLite file that are free (0 on other databases)."""
    if session.get_bind().dialect.name != "sqlite":
        return 0
    return int(session.execute(text("PRAGMA freelist_count")).scalar() or 0)


def release_free_pages(*, session: Session, pages: int) -> int:
    """Give up to ``pages`` free pages back to the file system (SQLite in incremental
    auto-vacuum mode; a no-op elsewhere) and commit; returns how many were released."""
    if session.get_bind().dialect.name != "sqlite":
        return 0
    before = free_pages(session=session)
    # The pragma frees one page per step of its statement; executescript steps it to the
    # end (a plain execute would free a single page).
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    raw.executescript(f"PRAGMA incremental_vacuum({int(pages)})")
    session.commit()
    return before - free_pages(session=session)


def retention_days(settings: Any) -> dict[SeriesTable | RowTable, int]:
    """How many days each table keeps, from the settings (``core.config.Settings``)."""
    return {
        SeriesTable.READING: settings.raw_retention_days,
        SeriesTable.ROLLUP_MINUTE: settings.rollup_minute_retention_days,
        SeriesTable.ROLLUP_HOUR: settings.rollup_hour_retention_days,
        RowTable.LOG: settings.log_retention_days,
        RowTable.DEAD_LETTER: settings.dead_letter_retention_days,
        RowTable.FINDING: settings.finding_retention_days,
        RowTable.COMMAND: settings.command_retention_days,
        RowTable.AUDIT: settings.audit_retention_days,
    }
