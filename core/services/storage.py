"""What the database holds and what it will hold: rows and bytes per table and tier, the
oldest and newest data, how fast it grows and the size it levels off at under the
retention settings (``warden storage status``, ``warden bench retention``).

Bytes come from SQLite's ``dbstat`` table (each table with its indexes) when the library
has it, from PostgreSQL's ``pg_total_relation_size``, and otherwise are an estimate (the
file's size shared out by rows). Time ranges of the series tables are read with one seek
per series at each end of the clustered key, never with a scan.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel

from core.clock import from_ms, to_ms
from core.services import retention, runtime

DAY_MS = 86_400_000
SERIES_TABLES = [t.value for t in retention.SeriesTable]
TIME_COLUMNS: dict[str, tuple[str, bool]] = {
    "reading": ("ts", True),
    "rollup_minute": ("bucket", True),
    "rollup_hour": ("bucket", True),
    "log": ("ts", True),
    "dead_letter": ("received_at", False),
    "change_log": ("at", False),
    "command": ("created_at", False),
    "finding": ("last_seen", False),
}
"""Per table: its time column and whether that column is epoch milliseconds."""
TIERS = {"reading": "raw", "rollup_minute": "1m", "rollup_hour": "1h"}


class TableStorage(SQLModel):
    name: str
    tier: str | None
    rows: int
    bytes: int
    oldest: datetime | None
    newest: datetime | None
    retention_days: int | None
    rows_per_day: float | None
    """Rows added in the last day (raw readings: the last hour times 24)."""
    projected_bytes: int
    """Its size once retention holds it level: rows per day x days kept x bytes per row
    (tables without a daily rate: their size today)."""


class StorageStatus(SQLModel):
    backend: str
    exact_bytes: bool
    """True when bytes per table were measured (dbstat, PostgreSQL), False when estimated."""
    file_bytes: int | None
    wal_bytes: int | None
    free_bytes: int
    """Space inside the file that is free (given back by the next incremental vacuum)."""
    tables: list[TableStorage]
    projected_bytes: int
    bytes_written: int | None
    """Bytes the running agent has written to storage since it started (/proc/self/io)."""
    bytes_written_per_hour: float | None


def storage_status(
    *,
    session: Session,
    now: datetime,
    days: dict[str, int],
    file_bytes: int | None = None,
    wal_bytes: int | None = None,
) -> StorageStatus:
    """Rows, bytes and time range of every table, the growth rates and the projected size.
    ``days``: retention per table name (``retention.retention_days`` keyed by value)."""
    dialect = session.get_bind().dialect.name
    names = _table_names(session, dialect)
    rows = {name: _count(session, name) for name in names}
    sizes, exact = _sizes(session, dialect, names, rows)
    now_ms = to_ms(now)
    tables = []
    for name in names:
        oldest, newest = _range(session, name)
        per_day = _rows_per_day(session, name, now_ms)
        keep = days.get(name)
        per_row = sizes[name] / rows[name] if rows[name] else 0.0
        if per_day is not None and keep is not None:
            projected = int(per_day * keep * per_row)
        else:
            projected = sizes[name]
        tables.append(
            TableStorage(
                name=name,
                tier=TIERS.get(name),
                rows=rows[name],
                bytes=sizes[name],
                oldest=oldest,
                newest=newest,
                retention_days=keep,
                rows_per_day=per_day,
                projected_bytes=projected,
            )
        )
    tables.sort(key=lambda t: -t.bytes)
    agent = runtime.get_state(session=session, key=runtime.AGENT_KEY, now=now) or {}
    free = 0
    if dialect == "sqlite":
        page = session.execute(text("PRAGMA page_size")).scalar_one()
        free = page * session.execute(text("PRAGMA freelist_count")).scalar_one()
    return StorageStatus(
        backend=dialect,
        exact_bytes=exact,
        file_bytes=file_bytes,
        wal_bytes=wal_bytes,
        free_bytes=free,
        tables=tables,
        projected_bytes=sum(t.projected_bytes for t in tables),
        bytes_written=agent.get("bytes_written"),
        bytes_written_per_hour=agent.get("bytes_written_per_hour"),
    )


def _table_names(session: Session, dialect: str) -> list[str]:
    if dialect == "sqlite":
        sql = (
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    else:
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
    return [n for n in session.execute(text(sql)).scalars() if n != "alembic_version"]


def _count(session: Session, name: str) -> int:
    return int(session.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one())


def _sizes(
    session: Session, dialect: str, names: list[str], rows: dict[str, int]
) -> tuple[dict[str, int], bool]:
    if dialect == "postgresql":
        return {
            n: int(session.execute(text(f"SELECT pg_total_relation_size('\"{n}\"')")).scalar_one())
            for n in names
        }, True
    try:
        found = session.execute(
            text(
                "SELECT coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d "
                "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1"
            )
        ).all()
    except OperationalError:  # SQLite built without dbstat: share the file out by rows
        page = session.execute(text("PRAGMA page_size")).scalar_one()
        used = page * (
            session.execute(text("PRAGMA page_count")).scalar_one()
            - session.execute(text("PRAGMA freelist_count")).scalar_one()
        )
        total = sum(rows.values()) or 1
        return {n: used * rows[n] // total for n in names}, False
    by_table = {name: int(size) for name, size in found}
    return {n: by_table.get(n, 0) for n in names}, True


def _range(session: Session, name: str) -> tuple[datetime | None, datetime | None]:
    if name not in TIME_COLUMNS:
        return None, None
    column, in_ms = TIME_COLUMNS[name]
    if name in SERIES_TABLES:
        sql = (
            f"SELECT min((SELECT min({column}) FROM {name} WHERE series_id = s.id)), "
            f"max((SELECT max({column}) FROM {name} WHERE series_id = s.id)) FROM series s"
        )
    else:
        sql = f'SELECT min({column}), max({column}) FROM "{name}"'
    low, high = session.execute(text(sql)).one()
    if not in_ms:
        return _as_datetime(low), _as_datetime(high)
    return (None if low is None else from_ms(low)), (None if high is None else from_ms(high))


def _as_datetime(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value)).replace(tzinfo=from_ms(0).tzinfo)


def _rows_per_day(session: Session, name: str, now_ms: int) -> float | None:
    """Rows added in the last day, by their time column (raw readings: the last hour x 24,
    which is cheaper and as telling)."""
    if name not in TIME_COLUMNS:
        return None
    column, in_ms = TIME_COLUMNS[name]
    window = 3_600_000 if name == "reading" else DAY_MS
    since = now_ms - window
    if name in SERIES_TABLES:
        sql = (
            f"SELECT sum((SELECT count(*) FROM {name} WHERE series_id = s.id "
            f"AND {column} >= :since)) FROM series s"
        )
        found = session.execute(text(sql), {"since": since}).scalar() or 0
    elif in_ms:
        found = session.execute(
            text(f'SELECT count(*) FROM "{name}" WHERE {column} >= :since'), {"since": since}
        ).scalar_one()
    else:
        return None
    return float(found) * DAY_MS / window


def predicted_bytes(
    *, rows_per_day: dict[str, float], bytes_per_row: dict[str, float], days: dict[str, int]
) -> int:
    """The size the series tables level off at: for each, rows per day x days kept x bytes
    per row."""
    return int(sum(rows_per_day[n] * days[n] * bytes_per_row[n] for n in rows_per_day if n in days))


def retention_by_name(settings: object) -> dict[str, int]:
    """``retention.retention_days`` keyed by table name."""
    return {str(table): keep for table, keep in retention.retention_days(settings).items()}
