"""A writer that finds the write lock held longer than the busy timeout waits its turn
(a scheduled job on a slow disk) instead of failing with "database is locked"."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import text

from core.db import Database


class _Seen(logging.Handler):
    def __init__(self, needle: str) -> None:
        super().__init__()
        self.needle = needle
        self.event = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.needle in record.getMessage():
            self.event.set()


def test_a_writer_waits_past_the_busy_timeout_for_a_lock_held_by_another_writer(
    tmp_path: Path,
) -> None:
    path = tmp_path / "warden.db"
    db = Database(f"sqlite:///{path}", busy_timeout_ms=50, lock_wait_s=60)
    db.migrate()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a slow batch holding the write lock
    seen = _Seen("waiting for the write lock")
    logging.getLogger("core.db").addHandler(seen)
    errors: list[BaseException] = []

    def job() -> None:
        try:
            with db.writer() as session:
                session.execute(
                    text("INSERT INTO setting (key, value, updated_at) VALUES ('job', '1', 0)")
                )
        except BaseException as exc:  # the failure this test is about
            errors.append(exc)

    worker = threading.Thread(target=job)
    worker.start()
    try:
        # The job has waited longer than its busy timeout at least once and is still waiting.
        assert seen.event.wait(30), errors
        assert worker.is_alive()
    finally:
        holder.execute("COMMIT")
        worker.join(60)
        logging.getLogger("core.db").removeHandler(seen)
    assert errors == []
    assert holder.execute("SELECT value FROM setting WHERE key = 'job'").fetchone() == (1,)
    holder.close()
    db.dispose()
