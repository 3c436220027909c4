"""Waking a loop as soon as another process commits to the database, instead of on its next
poll: how the agent's reconciler hears of an intent submitted from the CLI, the API or a
console within milliseconds.

- SQLite: ``PRAGMA data_version`` on a connection of its own changes only when another
  connection committed. Reading it is a look at the shared WAL index (a few microseconds,
  no lock, no query), so it is read every ``interval_s``.
- PostgreSQL: every transaction that writes a ``change_log`` row also sends
  ``NOTIFY warden_change`` (``core.services.changes.record_change``), delivered when it
  commits; this waits on ``LISTEN warden_change``.

``wait`` only says that something *may* have changed; the caller reads the change feed to
learn what. A wait that times out returns False, so the caller's own timer still runs.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from typing import Any

from core.db import Database
from core.services.changes import CHANGE_CHANNEL

log = logging.getLogger(__name__)

SQLITE_INTERVAL_S = 0.005
"""How often an idle SQLite watch reads ``data_version`` (the worst added latency)."""


class ChangeSignal:
    """Blocks until another connection may have committed (see the module doc)."""

    def __init__(self, db: Database, *, interval_s: float = SQLITE_INTERVAL_S) -> None:
        self._db = db
        self._interval = interval_s
        self._sqlite: sqlite3.Connection | None = None
        self._version: Any = None
        self._pg: Any = None

    def wait(self, timeout_s: float, stop: threading.Event) -> bool:
        """Until a commit by another connection (True), ``timeout_s`` or ``stop`` (False)."""
        try:
            if self._db.is_sqlite:
                return self._wait_sqlite(timeout_s, stop)
            return self._wait_postgres(timeout_s, stop)
        except Exception as exc:  # a lost connection: fall back to the caller's timer
            log.warning("change watch failed, polling instead: %s", exc)
            self.close()
            stop.wait(timeout_s)
            return False

    def _wait_sqlite(self, timeout_s: float, stop: threading.Event) -> bool:
        if self._sqlite is None:
            path = self._db.engine.url.database
            self._sqlite = sqlite3.connect(
                path or ":memory:", check_same_thread=False, isolation_level=None
            )
            self._version = self._sqlite.execute("PRAGMA data_version").fetchone()[0]
        deadline = time.monotonic() + timeout_s
        while not stop.is_set():
            version = self._sqlite.execute("PRAGMA data_version").fetchone()[0]
            if version != self._version:
                self._version = version
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            stop.wait(min(self._interval, left))
        return False

    def _wait_postgres(self, timeout_s: float, stop: threading.Event) -> bool:
        import psycopg

        if self._pg is None:
            url = self._db.engine.url.set(drivername="postgresql")
            self._pg = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
            self._pg.execute(f"LISTEN {CHANGE_CHANNEL}")
        deadline = time.monotonic() + timeout_s
        while not stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            # In slices, so a stop is seen within a quarter second.
            for _ in self._pg.notifies(timeout=min(left, 0.25), stop_after=1):
                return True
        return False

    def close(self) -> None:
        for connection in (self._sqlite, self._pg):
            if connection is not None:
                connection.close()
        self._sqlite = self._pg = None
