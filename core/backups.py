"""Backups of the SQLite database: made while writers run, checked, and listed only once
complete.

A backup is ``VACUUM INTO`` a temporary name in the backup directory (a consistent snapshot
that never blocks the writer), then ``PRAGMA integrity_check`` on the copy, its row counts and
its sha256; the file is renamed to its final name and only then is its manifest written
(temporary name, fsync, rename). ``list_backups`` shows a backup only when its manifest
exists and its file has the manifest's size, so a backup killed half-way (kill -9, power
cut) is never listed as good; its leftover temporary file is removed by the next backup.

PostgreSQL backups (``pg_dump``) are made by the composition root (``warden.backup``), which
writes the same manifest through ``write_manifest``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ValidationError

from core.errors import DatabaseError
from core.process_io import pid_alive

PREFIX = "warden-"
MANIFEST_SUFFIX = ".manifest.json"
PARTIAL_PREFIX = ".partial-"
_CHUNK = 1024 * 1024

BackupKind = Literal["manual", "scheduled"]


class BackupError(DatabaseError):
    title = "Backup failed"


class BackupInvalid(DatabaseError):
    """A backup that does not verify (changed, truncated or corrupt)."""

    title = "Backup does not verify"


class BackupManifest(BaseModel):
    """What a backup holds, written beside it once the backup is complete."""

    name: str
    """File name of the backup, in the same directory as the manifest."""
    engine: Literal["sqlite", "postgresql"]
    kind: BackupKind
    created_at: datetime
    schema_revision: str | None
    rows: dict[str, int]
    """Rows per table at the time of the backup."""
    size: int
    sha256: str
    warden_version: str


class BackupInfo(BaseModel):
    path: Path
    manifest: BackupManifest


class Verified(BaseModel):
    name: str
    integrity: str
    rows: dict[str, int]


def backup_name(now: datetime, engine: str) -> str:
    suffix = "db" if engine == "sqlite" else "dump"
    return f"{PREFIX}{now:%Y%m%dT%H%M%S}{now.microsecond // 1000:03d}Z.{suffix}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def write_manifest(directory: Path, manifest: BackupManifest) -> Path:
    """Write ``manifest`` atomically beside its backup: the last step of every backup."""
    final = directory / (manifest.name + MANIFEST_SUFFIX)
    partial = directory / f"{PARTIAL_PREFIX}{os.getpid()}-{final.name}"
    partial.write_text(manifest.model_dump_json(indent=2))
    _fsync_file(partial)
    partial.replace(final)
    _fsync_dir(directory)
    return final


def sqlite_facts(path: Path) -> tuple[str, dict[str, int], str | None]:
    """The result of ``PRAGMA integrity_check``, the rows per table and the schema revision
    of the SQLite file at ``path`` (opened read-only)."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
            integrity = "; ".join(r[0] for r in con.execute("PRAGMA integrity_check"))
            tables = [
                r[0]
                for r in con.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                )
            ]
            rows = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
            revision = None
            if "alembic_version" in tables:
                found = con.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = found[0] if found else None
    except sqlite3.DatabaseError as exc:
        return f"unreadable: {exc}", {}, None
    return integrity, rows, revision


def sweep_partials(directory: Path) -> list[Path]:
    """Remove what interrupted backups left (their process is gone)."""
    removed = []
    for leftover in directory.glob(f"{PARTIAL_PREFIX}*"):
        pid = leftover.name.removeprefix(PARTIAL_PREFIX).split("-", 1)[0]
        if pid.isdigit() and pid_alive(int(pid)):
            continue
        leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


def create_sqlite_backup(
    *, db_path: Path, directory: Path, now: datetime, kind: BackupKind, version: str
) -> BackupInfo:
    """A verified copy of the live database at ``db_path`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    sweep_partials(directory)
    name = backup_name(now, "sqlite")
    partial = directory / f"{PARTIAL_PREFIX}{os.getpid()}-{name}"
    try:
        with closing(sqlite3.connect(db_path, timeout=30)) as con:
            con.execute("VACUUM INTO ?", (str(partial),))
        integrity, rows, revision = sqlite_facts(partial)
        if integrity != "ok":
            raise BackupError(f"the copy of {db_path} fails its integrity check: {integrity}")
        _fsync_file(partial)
        final = directory / name
        partial.replace(final)
        _fsync_dir(directory)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up {db_path}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return record_backup(
        final, engine="sqlite", kind=kind, now=now, revision=revision, rows=rows, version=version
    )


def record_backup(
    final: Path,
    *,
    engine: Literal["sqlite", "postgresql"],
    kind: BackupKind,
    now: datetime,
    revision: str | None,
    rows: dict[str, int],
    version: str,
) -> BackupInfo:
    """Write the manifest of a finished backup file, last: only then is it listed."""
    manifest = BackupManifest(
        name=final.name,
        engine=engine,
        kind=kind,
        created_at=now,
        schema_revision=revision,
        rows=rows,
        size=final.stat().st_size,
        sha256=sha256_of(final),
        warden_version=version,
    )
    write_manifest(final.parent, manifest)
    return BackupInfo(path=final, manifest=manifest)


def list_backups(directory: Path) -> list[BackupInfo]:
    """The complete backups in ``directory``, newest first."""
    found = []
    if not directory.is_dir():
        return found
    for manifest_path in directory.glob(f"{PREFIX}*{MANIFEST_SUFFIX}"):
        try:
            manifest = BackupManifest.model_validate_json(manifest_path.read_text())
        except (OSError, ValidationError, json.JSONDecodeError):
            continue
        path = directory / manifest.name
        try:
            if path.stat().st_size != manifest.size:
                continue
        except FileNotFoundError:
            continue
        found.append(BackupInfo(path=path, manifest=manifest))
    found.sort(key=lambda b: b.manifest.created_at, reverse=True)
    return found


def find_backup(directory: Path, name: str) -> BackupInfo:
    """The complete backup called ``name`` (its file name, with or without the suffix)."""
    backups = list_backups(directory)
    for backup in backups:
        if name in (backup.manifest.name, backup.path.stem, str(backup.path)):
            return backup
    known = ", ".join(b.manifest.name for b in backups[:5]) or "none"
    raise BackupInvalid(
        f"no complete backup called {name!r} in {directory} (newest: {known})",
        title="Unknown backup",
    )


def verify_sqlite_backup(backup: BackupInfo) -> Verified:
    """Check the file against its manifest (sha256), its integrity and its row counts."""
    manifest = backup.manifest
    if sha256_of(backup.path) != manifest.sha256:
        raise BackupInvalid(f"{manifest.name} changed since it was made (sha256 differs)")
    integrity, rows, _revision = sqlite_facts(backup.path)
    if integrity != "ok":
        raise BackupInvalid(f"{manifest.name} fails its integrity check: {integrity}")
    if rows != manifest.rows:
        raise BackupInvalid(f"{manifest.name} has other row counts than its manifest says")
    return Verified(name=manifest.name, integrity=integrity, rows=rows)


def restore_sqlite_backup(backup: BackupInfo, *, db_path: Path, now: datetime) -> Path:
    """Put ``backup`` in place of the database at ``db_path`` (no process may have it
    open: the caller checked), keeping the previous file (and its WAL) aside. Returns where
    the previous file went. The caller migrates the restored file to head."""
    verify_sqlite_backup(backup)
    aside = db_path.with_name(f"{db_path.name}.before-restore-{now:%Y%m%dT%H%M%SZ}")
    incoming = db_path.with_name(f"{PARTIAL_PREFIX}{os.getpid()}-{db_path.name}")
    shutil.copyfile(backup.path, incoming)
    _fsync_file(incoming)
    move_aside(db_path, aside)
    incoming.replace(db_path)
    _fsync_dir(db_path.parent)
    return aside


def move_aside(db_path: Path, aside: Path) -> None:
    """Move a SQLite file and its WAL and shared-memory files to ``aside`` (they stay a
    pair: ``aside`` opens with ``aside-wal``)."""
    for suffix in ("", "-wal", "-shm"):
        source = db_path.with_name(db_path.name + suffix)
        if source.exists():
            source.replace(aside.with_name(aside.name + suffix))
    _fsync_dir(db_path.parent)


def to_prune(
    backups: Iterable[BackupInfo], *, keep_daily: int, keep_weekly: int
) -> list[BackupInfo]:
    """The scheduled backups outside retention: kept are the newest of each of the last
    ``keep_daily`` days that have one and the newest of each of the ``keep_weekly`` weeks
    before those. Manual backups are the operator's and are never pruned."""
    scheduled = sorted(
        (b for b in backups if b.manifest.kind == "scheduled"),
        key=lambda b: b.manifest.created_at,
        reverse=True,
    )
    keep: set[str] = set()
    days: list[object] = []
    weeks: list[object] = []
    for backup in scheduled:
        day = backup.manifest.created_at.date()
        if day not in days and len(days) < keep_daily:
            days.append(day)
            keep.add(backup.manifest.name)
            continue
        if day in days:
            continue
        week = day - timedelta(days=day.weekday())
        if week not in weeks and len(weeks) < keep_weekly:
            weeks.append(week)
            keep.add(backup.manifest.name)
    return [b for b in scheduled if b.manifest.name not in keep]


def delete_backup(backup: BackupInfo) -> None:
    """Manifest first: a backup without its manifest is no longer listed."""
    manifest = backup.path.with_name(backup.manifest.name + MANIFEST_SUFFIX)
    manifest.unlink(missing_ok=True)
    backup.path.unlink(missing_ok=True)


def backup_directory(*, data_dir: Path, backup_dir: Path | None) -> Path:
    """Where backups go: the ``backup_dir`` setting, else ``DATA_DIR/backups``."""
    return backup_dir if backup_dir is not None else data_dir / "backups"


def last_good_backup(directory: Path) -> BackupInfo | None:
    """The newest backup that verifies, if any."""
    for backup in list_backups(directory):
        if backup.manifest.engine != "sqlite":
            continue
        try:
            verify_sqlite_backup(backup)
        except (BackupInvalid, OSError):
            continue
        return backup
    return None
