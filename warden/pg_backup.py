"""PostgreSQL backups with the server's own tools: ``pg_dump -Fc`` to a file, ``pg_restore``
into a scratch database to verify it, and ``pg_restore --clean`` to restore.

The argv is built from the parsed database URL (host, port, user, database name checked to
be plain values), never through a shell; the password goes in ``PGPASSWORD``, not the argv
(which every local user can read in ``ps``).
"""

from __future__ import annotations

import os
import re
import subprocess
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from core.backups import (
    PARTIAL_PREFIX,
    BackupError,
    BackupInfo,
    BackupInvalid,
    BackupKind,
    Verified,
    backup_name,
    record_backup,
    sha256_of,
    sweep_partials,
)

_PLAIN = re.compile(r"^[A-Za-z0-9_.:\-]+$")
TIMEOUT_S = 3600


def _plain(value: str, what: str) -> str:
    if not _PLAIN.match(value) or value.startswith("-"):
        raise BackupError(f"the database {what} {value!r} is not a plain name")
    return value


def _conn_args(url: URL) -> tuple[list[str], dict[str, str]]:
    args = []
    if url.host:
        args += ["--host", _plain(url.host, "host")]
    if url.port:
        args += ["--port", str(int(url.port))]
    if url.username:
        args += ["--username", _plain(url.username, "user")]
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _run(argv: list[str], env: dict[str, str]) -> None:
    try:
        done = subprocess.run(  # noqa: S603 - argv of validated values, no shell
            argv, env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"{argv[0]} failed: {exc}") from exc
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {done.stderr.strip()[-500:]}")


def _sqlalchemy(url: URL) -> URL:
    return url.set(drivername="postgresql+psycopg")


def _facts(url: URL) -> tuple[dict[str, int], str | None]:
    engine = create_engine(_sqlalchemy(url))
    try:
        with engine.connect() as con:
            tables = con.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            ).scalars()
            rows = {
                t: con.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables
            }
            revision = None
            if "alembic_version" in rows:
                revision = con.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()
    return rows, revision


def create(
    database_url: str, *, directory: Path, now: datetime, kind: BackupKind, version: str
) -> BackupInfo:
    url = make_url(database_url)
    directory.mkdir(parents=True, exist_ok=True)
    sweep_partials(directory)
    name = backup_name(now, "postgresql")
    partial = directory / f"{PARTIAL_PREFIX}{os.getpid()}-{name}"
    args, env = _conn_args(url)
    try:
        rows, revision = _facts(url)
        _run(
            [
                "pg_dump",
                "--format=custom",
                f"--file={partial}",
                *args,
                "--dbname",
                _plain(url.database or "", "name"),
            ],
            env,
        )
        final = directory / name
        partial.replace(final)
    finally:
        partial.unlink(missing_ok=True)
    return record_backup(
        final,
        engine="postgresql",
        kind=kind,
        now=now,
        revision=revision,
        rows=rows,
        version=version,
    )


def verify(backup: BackupInfo, *, server_url: str) -> Verified:
    """Restore the dump into a scratch database on the same server and count its rows."""
    manifest = backup.manifest
    if sha256_of(backup.path) != manifest.sha256:
        raise BackupInvalid(f"{manifest.name} changed since it was made (sha256 differs)")
    url = make_url(server_url)
    scratch = f"warden_verify_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_sqlalchemy(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as con:
            con.execute(text(f'CREATE DATABASE "{scratch}"'))
        args, env = _conn_args(url)
        try:
            _run(["pg_restore", "--no-owner", *args, "--dbname", scratch, str(backup.path)], env)
        except BackupError as exc:
            raise BackupInvalid(f"{manifest.name} does not restore: {exc}") from exc
        rows, _revision = _facts(url.set(database=scratch))
    finally:
        with admin.connect() as con:
            con.execute(text(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)'))
        admin.dispose()
    if rows != manifest.rows:
        raise BackupInvalid(f"{manifest.name} has other row counts than its manifest says")
    return Verified(name=manifest.name, integrity="restores", rows=rows)


def restore(backup: BackupInfo, *, url: str) -> None:
    """Empty the public schema, then restore the dump into it (the caller verified the dump
    and made a backup of what was there first)."""
    parsed = make_url(url)
    engine = create_engine(_sqlalchemy(parsed))
    try:
        with engine.begin() as con:
            con.execute(text("DROP SCHEMA public CASCADE"))
            con.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    args, env = _conn_args(parsed)
    _run(
        [
            "pg_restore",
            "--no-owner",
            "--single-transaction",
            *args,
            "--dbname",
            _plain(parsed.database or "", "name"),
            str(backup.path),
        ],
        env,
    )
