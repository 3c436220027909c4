"""The database: engines, sessions and migrations.

SQLite is opened in WAL mode (readers never wait for the writer) with ``synchronous=FULL``
(writes are batched, so a durable commit is affordable), a busy timeout and foreign keys.
The Python driver's own transaction handling is switched off and SQLAlchemy's ``begin``
event issues the ``BEGIN`` itself: deferred for readers, ``BEGIN IMMEDIATE`` for writers.
A writer therefore takes the write lock when its transaction starts, waiting up to the busy
timeout, instead of failing with "database is locked" when a read lock would have to be
upgraded half-way through. When another writer holds the lock for longer than the busy
timeout (a slow SD card, a long migration), the ``BEGIN`` is tried again, with a warning each
time, for up to ``lock_wait_s`` in all: a scheduled job waits its turn instead of failing with
"database is locked".

PostgreSQL (``postgresql+psycopg://``) goes through the same models and services.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, Insert, Table, create_engine, event, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.exc import DatabaseError as SqlDatabaseError
from sqlmodel import Session

if TYPE_CHECKING:  # alembic loads only when the schema has to be changed or shown
    from alembic.config import Config

from core.errors import ConfigError, DatabaseError
from core.private_files import create_private_file
from core.schema_revisions import MIGRATIONS_DIR
from core.schema_revisions import head_from_files as _head_from_files
from core.schema_revisions import revisions_from_files as _revisions_from_files

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
LOCK_WAIT_S = 300.0
"""How long a writer waits for the write lock in all (several busy timeouts) before it fails."""
_BEGIN_OPTION = "warden_sqlite_begin"
_TURN = "warden_write_turn"


class FairTurn:
    """Writers of one process take the write lock in the order they asked for it.

    SQLite's busy handler polls: a writer that commits and begins again at once (the ingest
    writer working through a backlog) would find the lock free before a waiting job's next
    poll, every time, and starve it. Queuing the writers of this process first gives each
    its turn after the transaction in progress. Reentrant for the thread that holds it."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._waiting: deque[int] = deque()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return
            self._waiting.append(me)
            while self._owner is not None or self._waiting[0] != me:
                self._cond.wait()
            self._waiting.popleft()
            self._owner, self._depth = me, 1

    @property
    def waiting(self) -> int:
        """Threads queued for the lock (not counting its holder)."""
        with self._cond:
            return len(self._waiting)

    def release(self) -> None:
        with self._cond:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify_all()


def _is_locked(exc: OperationalError) -> bool:
    """SQLite's "database is locked" (SQLITE_BUSY after the busy timeout)."""
    return "locked" in str(exc.orig) or "busy" in str(exc.orig)


def _sqlite_engine(url: str, *, busy_timeout_ms: int, lock_wait_s: float, **kwargs: Any) -> Engine:
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        **kwargs,
    )
    turn = FairTurn()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            # Takes effect in a new file (before its first table); older files are
            # converted once by ``Database.migrate`` (a VACUUM). Only asked of an empty
            # file: on one in use the pragma wants the write lock, and a connection opened
            # while a writer holds it failed with "database is locked" after the busy
            # timeout, outside the wait for the lock below.
            if cursor.execute("PRAGMA page_count").fetchone()[0] == 0:
                cursor.execute("PRAGMA auto_vacuum = INCREMENTAL")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        if mode == "IMMEDIATE":
            turn.acquire()
            connection.info[_TURN] = True
        started = time.monotonic()
        while True:
            try:
                connection.exec_driver_sql(f"BEGIN {mode}")
                return
            except OperationalError as exc:
                waited = time.monotonic() - started
                if not _is_locked(exc) or waited >= lock_wait_s:
                    _end_turn(connection.info)
                    raise
                log.warning(
                    "waiting for the write lock (another writer has held it for %.1f s)",
                    waited,
                )

    def _end_turn(info: dict[Any, Any]) -> None:
        if info.pop(_TURN, False):
            turn.release()

    @event.listens_for(engine, "commit")
    def _on_commit(connection: Any) -> None:
        _end_turn(connection.info)

    @event.listens_for(engine, "rollback")
    def _on_rollback(connection: Any) -> None:
        _end_turn(connection.info)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        _end_turn(record.info)  # a connection given back in a transaction's midst

    return engine


MIGRATE_LOCK = 0x5741524D
"""The PostgreSQL advisory lock key that one migrating process holds at a time ("WARM")."""


class Database:
    """The engines of one database and the sessions opened on them.

    ``reader()`` sessions see a consistent snapshot; ``writer()`` sessions hold the write
    lock from their first statement (SQLite) and commit on a clean exit.
    """

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
        lock_wait_s: float = LOCK_WAIT_S,
    ) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise ConfigError(f"database URL {url!r} is not valid: {exc}") from exc
        self.url = url
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                # 0600 before SQLite opens it: its -wal and -shm files take the same mode.
                create_private_file(Path(parsed.database))
            self.engine = _sqlite_engine(
                url, busy_timeout_ms=busy_timeout_ms, lock_wait_s=lock_wait_s, echo=echo
            )
            self._write_engine = self.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})
        else:
            self.engine = create_engine(url, echo=echo, pool_pre_ping=True)
            self._write_engine = self.engine

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @contextmanager
    def reader(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writer(self) -> Iterator[Session]:
        """A session for changes. Services commit their own unit of work; anything left
        uncommitted is committed on a clean exit and rolled back on an exception."""
        with Session(self._write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def migrate(self) -> None:
        """Bring the schema to the newest migration; a no-op when it is there already."""
        try:
            with self.engine.connect() as connection:
                stored = _stored_revision(connection)
                if stored == _head_from_files():
                    return  # current: no need to load alembic at all
                _refuse_unknown_revision(stored, self.url)
                if _current_revision(connection) == head_revision():
                    return
            from alembic import command

            # The upgrade runs in one writer transaction, so two processes starting at once
            # take turns and the second finds the schema already current. On PostgreSQL the
            # turns are a transaction-level advisory lock (agents started together on a new
            # database otherwise both create the tables and all but one fail).
            with self._write_engine.connect() as connection:
                if not self.is_sqlite:
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATE_LOCK}
                    )
                    if _current_revision(connection) == head_revision():
                        connection.commit()
                        return
                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                connection.commit()
            if self.is_sqlite:
                _incremental_auto_vacuum(self.engine)
        except OperationalError as exc:
            raise DatabaseError(f"cannot open the database at {self.url}: {exc.orig}") from exc

    def schema_is_current(self) -> bool:
        """Whether the database is at the newest migration, asked without loading alembic
        (False also when there is no schema yet, or the answer is not plain: a file SQLite
        cannot read as a database is then opened the full way, which recovers it)."""
        head = _head_from_files()
        if head is None:
            return False
        try:
            with self.engine.connect() as connection:
                return _stored_revision(connection) == head
        except SqlDatabaseError:  # OperationalError (no schema) or a corrupt file
            return False

    def revision(self) -> str | None:
        with self.engine.connect() as connection:
            return _current_revision(connection)

    def dispose(self) -> None:
        self.engine.dispose()


def _incremental_auto_vacuum(engine: Engine) -> None:
    """Switch a file made before auto-vacuum to ``INCREMENTAL`` (once, on the upgrade that
    brings it in): the mode of an existing file only changes with a VACUUM, which rewrites
    the file and needs as much free space again."""
    with engine.connect() as connection:
        if connection.exec_driver_sql("PRAGMA auto_vacuum").scalar() == 2:
            return
    raw = engine.raw_connection()
    try:
        log.warning("converting the database to incremental auto-vacuum (a one-time VACUUM)")
        raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
    finally:
        raw.close()


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current_revision(connection: Any) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def _refuse_unknown_revision(stored: str | None, url: str) -> None:
    """A database migrated by a newer Warden (a revision no file here knows) is refused in
    words a person can act on, before alembic fails on it with a bare "Can't locate"."""
    known = _revisions_from_files()
    if stored is not None and known is not None and stored not in known:
        raise DatabaseError(
            f"the database at {url} is at schema revision {stored!r}, which this Warden "
            f"does not know (its newest is {_head_from_files()!r}): it was upgraded by a "
            "newer Warden; run that version, or restore a backup made before the upgrade"
        )


def _stored_revision(connection: Any) -> str | None:
    """The revision the database says it is at (None: no schema yet, or unreadable)."""
    try:
        rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:
        connection.rollback()
        return None
    connection.rollback()
    return rows[0][0] if len(rows) == 1 else None


def insert_ignore(session: Session, table: Table) -> Insert:
    """An INSERT that skips rows whose key is already stored (at-least-once delivery
    resends; the first copy wins)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return insert(table)
