"""A corrupt SQLite database at start: moved aside, a fresh one created, a finding raised.

As Home Assistant's recorder does, a database file SQLite cannot read (its header or schema
is damaged: "file is not a database", "database disk image is malformed") does not keep
Warden from starting: the file (with its WAL) is renamed to ``warden.db.corrupt-<time>``,
a fresh database is created, and a critical finding says so and names the newest backup
that verifies, with the command that restores it. Two processes starting at once (the agent
and the web console) take turns through a lock file, so only one of them moves the file.
Damage deeper in the file, met later by a query, is not handled here.
"""

from __future__ import annotations

import fcntl
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError as SqlDatabaseError
from sqlmodel import Session

from core.backups import BackupInfo, last_good_backup, move_aside
from core.clock import to_ms
from core.db import Database
from core.services import findings

log = logging.getLogger(__name__)

RECOVERED_RULE = "storage.database-recovered"
CORRUPT_SIGNS = ("file is not a database", "malformed", "database corruption", "not a database")


@dataclass(frozen=True, slots=True)
class Recovery:
    error: str
    moved_to: Path
    backup: BackupInfo | None
    backup_dir: Path


def _corrupt(db: Database) -> str | None:
    """SQLite's complaint when the file cannot be read as a database, else None."""
    try:
        with db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT count(*) FROM sqlite_master").all()
    except SqlDatabaseError as exc:
        text = str(exc.orig)
        if any(sign in text for sign in CORRUPT_SIGNS):
            return text
        raise
    return None


def recover_if_corrupt(db: Database, *, backup_dir: Path, now: datetime) -> Recovery | None:
    """Move a corrupt SQLite file aside (the caller then creates a fresh one by migrating);
    None when the file is readable (or the database is not a SQLite file)."""
    database = make_url(db.url).database
    if not db.is_sqlite or not database or database == ":memory:":
        return None
    if _corrupt(db) is None:
        return None
    path = Path(database)
    with (path.parent / f".{path.name}.recover-lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        db.dispose()
        error = _corrupt(db)  # another process may have recovered it meanwhile
        if error is None:
            return None
        aside = path.with_name(f"{path.name}.corrupt-{now:%Y%m%dT%H%M%SZ}")
        move_aside(path, aside)
        db.dispose()
    log.error("the database %s is corrupt (%s): moved aside to %s", path, error, aside)
    return Recovery(
        error=error, moved_to=aside, backup=last_good_backup(backup_dir), backup_dir=backup_dir
    )


def record_recovery(*, session: Session, recovery: Recovery, now: datetime) -> None:
    """The finding that tells the operator (in the fresh database)."""
    if recovery.backup is not None:
        name = recovery.backup.manifest.name
        advice = (
            f"The last good backup is {name} of "
            f"{recovery.backup.manifest.created_at:%Y-%m-%d %H:%M} UTC: stop Warden and run "
            f"`warden backup restore {name}`."
        )
    else:
        advice = f"No backup that verifies was found in {recovery.backup_dir}."
    findings.raise_finding(
        session=session,
        firing=findings.FindingIn(
            rule_id=RECOVERED_RULE,
            severity="critical",
            key=recovery.moved_to.name,
            ts_ms=to_ms(now),
            summary=(
                f"The database was corrupt at start and was moved aside to "
                f"{recovery.moved_to.name}; Warden started on a fresh, empty one. {advice}"
            ),
            details={
                "error": recovery.error,
                "moved_to": str(recovery.moved_to),
                "last_good_backup": recovery.backup.manifest.name if recovery.backup else None,
            },
        ),
        now=now,
    )
