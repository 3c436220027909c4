"""The change feed: how every process learns, within a second, what any process changed.

Services append a ``change_log`` row in the same transaction as each change. The feed keeps
its own connection and remembers the last id it returned. On SQLite, ``PRAGMA data_version``
(which changes only when *another* connection commits) makes an idle poll one cheap pragma
instead of a query; on PostgreSQL the feed simply asks for newer rows.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session

from core.db import Database
from core.models import ChangePublic
from core.services.changes import last_change_id, list_changes


class ChangeFeed:
    """Polls for new change_log rows. Thread-safe; one instance per consumer.

    ``start_after`` is the id of the last change already known; by default the feed starts
    at the newest row, so only changes made after it was built are reported.
    """

    def __init__(self, db: Database, *, start_after: int | None = None, batch: int = 1000):
        self._db = db
        self._batch = batch
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._data_version: int | None = None
        if start_after is None:
            with db.reader() as session:
                start_after = last_change_id(session=session)
        self.last_id = start_after

    def poll(self) -> list[ChangePublic]:
        """The changes committed since the last poll, oldest first (at most ``batch``)."""
        with self._lock:
            connection = self._connect()
            if self._db.is_sqlite and not self._data_changed(connection):
                return []
            with Session(bind=connection) as session:
                changes = list_changes(session=session, after_id=self.last_id, limit=self._batch)
            connection.rollback()  # end the read transaction so the next poll sees new data
            if changes:
                self.last_id = changes[-1].id
            return changes

    def _connect(self) -> Connection:
        if self._connection is None or self._connection.closed:
            self._connection = self._db.engine.connect()
            self._data_version = None
        return self._connection

    def _data_changed(self, connection: Connection) -> bool:
        version: Any = connection.exec_driver_sql("PRAGMA data_version").scalar()
        connection.rollback()
        changed = version != self._data_version
        self._data_version = version
        return changed

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
