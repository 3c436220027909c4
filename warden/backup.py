"""Backups of either database, the scheduled backup, and a restore that is safe to run.

SQLite backups are ``core.backups``; PostgreSQL ones are ``pg_dump -Fc`` files
(``warden.pg_backup``), listed and pruned the same way. ``restore`` refuses while another
process has the database open (the agent's fresh heartbeat, or any process holding the file,
read from ``/proc``), verifies the backup before it touches the live database, keeps the
previous file aside and migrates the restored one to head.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from core.backups import (
    BackupError,
    BackupInfo,
    BackupKind,
    Verified,
    backup_directory,
    create_sqlite_backup,
    delete_backup,
    find_backup,
    list_backups,
    restore_sqlite_backup,
    to_prune,
    verify_sqlite_backup,
)
from core.clock import Clock
from core.config import Settings
from core.db import Database
from core.errors import Conflict
from core.process_io import pid_alive
from core.services import runtime
from core.services.system import warden_version
from warden import pg_backup

log = logging.getLogger(__name__)


def directory_of(settings: Settings) -> Path:
    return backup_directory(data_dir=settings.data_dir, backup_dir=settings.backup_dir)


def _sqlite_path(settings: Settings) -> Path | None:
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def create(settings: Settings, *, now: datetime, kind: BackupKind = "manual") -> BackupInfo:
    directory = directory_of(settings)
    path = _sqlite_path(settings)
    if path is not None:
        if not path.exists():
            raise BackupError(f"there is no database at {path} to back up")
        return create_sqlite_backup(
            db_path=path, directory=directory, now=now, kind=kind, version=warden_version()
        )
    return pg_backup.create(
        settings.resolved_database_url,
        directory=directory,
        now=now,
        kind=kind,
        version=warden_version(),
    )


def verify(settings: Settings, name: str) -> Verified:
    backup = find_backup(directory_of(settings), name)
    if backup.manifest.engine == "sqlite":
        return verify_sqlite_backup(backup)
    return pg_backup.verify(backup, server_url=settings.resolved_database_url)


@dataclass(frozen=True, slots=True)
class Restored:
    name: str
    previous: str
    """Where the database as it was before went: a file aside, or a backup made first."""
    revision: str | None


def restore(settings: Settings, name: str, *, now: datetime) -> Restored:
    """Put backup ``name`` in place of the live database; refuses while Warden runs."""
    backup = find_backup(directory_of(settings), name)
    busy = writers(settings, now=now)
    if busy:
        raise Conflict(
            "the database is in use, stop Warden first (e.g. `systemctl stop warden-agent "
            f"warden-web`): {'; '.join(busy)}",
            title="Warden is running",
        )
    path = _sqlite_path(settings)
    if path is not None:
        if backup.manifest.engine != "sqlite":
            raise BackupError(f"{name} is a PostgreSQL backup; the database is SQLite")
        previous = str(restore_sqlite_backup(backup, db_path=path, now=now))
    else:
        if backup.manifest.engine != "postgresql":
            raise BackupError(f"{name} is a SQLite backup; the database is PostgreSQL")
        pg_backup.verify(backup, server_url=settings.resolved_database_url)
        before = create(settings, now=now, kind="manual")
        pg_backup.restore(backup, url=settings.resolved_database_url)
        previous = str(before.path)
    db = Database(settings.resolved_database_url)
    try:
        db.migrate()
        revision = db.revision()
    finally:
        db.dispose()
    log.info("restored %s; the previous database is at %s", backup.manifest.name, previous)
    return Restored(name=backup.manifest.name, previous=previous, revision=revision)


def writers(settings: Settings, *, now: datetime) -> list[str]:
    """Why the database is in use now: a fresh agent heartbeat, processes holding it open."""
    reasons = []
    try:
        db = Database(settings.resolved_database_url)
        try:
            with db.reader() as session:
                state = runtime.get_state(session=session, key=runtime.AGENT_KEY, now=now)
        finally:
            db.dispose()
    except SQLAlchemyError:
        state = None  # no readable database: nothing runs on it
    path = _sqlite_path(settings)
    pid = state.get("pid") if state else None
    # On SQLite the agent is on this machine: a fresh state whose process is gone means it
    # just stopped. On PostgreSQL it may run elsewhere, and a fresh state is enough.
    alive = path is None or (isinstance(pid, int) and pid_alive(pid))
    if state and state.get("running") and alive:
        reasons.append(f"the agent (pid {pid}) published its state just now")
    if path is not None:
        holders = processes_holding(path)
        if holders:
            reasons.append(f"processes {', '.join(map(str, holders))} have {path.name} open")
    return reasons


def processes_holding(path: Path) -> list[int]:
    """Other processes with the SQLite file (or its WAL) open, from ``/proc`` (those this
    user may look at; run as the service's user or root to see them all)."""
    targets = {str(path), f"{path}-wal", f"{path}-shm"}
    found = []
    me = os.getpid()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == me:
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) in targets:
                    found.append(int(proc.name))
                    break
        except OSError:  # gone, or not ours to look at
            continue
    return sorted(found)


def prune(settings: Settings) -> list[str]:
    backups = list_backups(directory_of(settings))
    removed = to_prune(
        backups, keep_daily=settings.backup_keep_daily, keep_weekly=settings.backup_keep_weekly
    )
    for backup in removed:
        delete_backup(backup)
    return [b.manifest.name for b in removed]


def scheduled_backup(settings: Settings, clock: Clock) -> None:
    """The agent's daily job: a backup, then the scheduled ones outside retention removed.
    A failure is logged (and the next day tries again); it never stops the agent."""
    try:
        made = create(settings, now=clock.now(), kind="scheduled")
    except (BackupError, OSError) as exc:
        log.error("scheduled backup failed: %s", exc)
        return
    removed = prune(settings)
    log.info(
        "scheduled backup %s made (%d bytes)%s",
        made.manifest.name,
        made.manifest.size,
        f"; removed {', '.join(removed)}" if removed else "",
    )
