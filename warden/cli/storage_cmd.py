"""``warden storage status``: what the database holds per table and tier, and where it is
heading under the retention settings."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import make_url

from core.services.storage import StorageStatus, retention_by_name, storage_status
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_fields, print_json, print_table


@click.group()
def storage() -> None:
    """The database's size, tiers and retention."""


@storage.command("status")
@json_option
@pass_ctx
def status(state: CliContext, as_json: bool) -> None:
    """Rows and bytes per table and tier, oldest and newest data, bytes written per hour
    and the projected size at the current rate."""
    core = state.read_core
    file_bytes = wal_bytes = None
    url = make_url(core.db.url)
    if core.db.is_sqlite and url.database and url.database != ":memory:":
        path = Path(url.database)
        file_bytes = _size(path)
        wal_bytes = _size(path.with_name(path.name + "-wal"))
    with core.db.reader() as session:
        result = storage_status(
            session=session,
            now=core.clock.now(),
            days=retention_by_name(core.settings),
            file_bytes=file_bytes,
            wal_bytes=wal_bytes,
        )
    if as_json:
        print_json(result)
        return
    _print(result)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _print(result: StorageStatus) -> None:
    shown = [t for t in result.tables if t.rows or t.tier]
    print_table(
        ["table", "tier", "rows", "size", "oldest", "newest", "keep", "rows/day", "projected"],
        [
            [
                t.name,
                t.tier or "",
                t.rows,
                _human(t.bytes),
                _when(t.oldest),
                _when(t.newest),
                f"{t.retention_days} d" if t.retention_days else "",
                "" if t.rows_per_day is None else f"{t.rows_per_day:,.0f}",
                _human(t.projected_bytes),
            ]
            for t in shown
        ],
    )
    click.echo()
    written = result.bytes_written_per_hour
    print_fields(
        [
            ("backend", result.backend + ("" if result.exact_bytes else " (sizes estimated)")),
            ("file", _human(result.file_bytes)),
            ("write-ahead log", _human(result.wal_bytes)),
            ("free inside file", _human(result.free_bytes)),
            ("projected size", _human(result.projected_bytes)),
            (
                "bytes written",
                "agent not running"
                if result.bytes_written is None
                else f"{_human(result.bytes_written)} since the agent started"
                + ("" if written is None else f", {_human(int(written))} per hour"),
            ),
        ]
    )


def _when(value: object) -> str:
    return "" if value is None else str(value)[:19]


def _human(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"
