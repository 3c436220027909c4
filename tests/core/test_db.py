"""The SQLite connection settings, the writer's BEGIN IMMEDIATE, and what they buy: many
writers at once, in threads and in processes, and none of them sees "database is locked"."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlalchemy.engine import make_url
from sqlmodel import select

from core.db import BUSY_TIMEOUT_MS, Database
from core.models import ChangeLog, DeviceUpdate
from core.runtime import Core
from core.services import devices
from tests.factories import EPOCH_2026, actor, make_device

WRITES_PER_WORKER = 40


def _sqlite_path(core: Core) -> str:
    path = make_url(core.db.url).database
    assert path
    return path


def _updates(session_factory, *, device_id: str, worker: str, count: int) -> None:  # type: ignore[no-untyped-def]
    """Read-modify-write service calls: each reads the device, then changes it."""
    for n in range(count):
        with session_factory() as session:
            devices.update_device(
                session=session,
                device_id=device_id,
                update=DeviceUpdate(location=f"{worker}-{n}"),
                actor=actor(name=worker),
            )
            devices.record_seen(
                session=session,
                device_id=device_id,
                seen_at=EPOCH_2026 + timedelta(seconds=n),
            )


def _process_worker(url: str, worker: str, count: int, barrier, failures) -> None:  # type: ignore[no-untyped-def]
    try:
        db = Database(url)
        barrier.wait(timeout=60)
        _updates(db.writer, device_id="meter-1", worker=worker, count=count)
        db.dispose()
    except BaseException:
        failures.put(f"{worker}: {traceback.format_exc()}")
        raise


def _count_updates(core: Core, worker_prefix: str) -> dict[str, int]:
    with core.db.reader() as session:
        rows = session.exec(
            select(ChangeLog.actor, func.count())
            .where(ChangeLog.kind == "device.updated")
            .group_by(ChangeLog.actor)
        ).all()
    return {name: n for name, n in rows if name.startswith(worker_prefix)}


def test_sqlite_connections_are_durable_and_patient(core: Core) -> None:
    with core.db.engine.connect() as connection:

        def pragma(name: str) -> object:
            return connection.exec_driver_sql(f"PRAGMA {name}").scalar()

        assert pragma("journal_mode") == "wal"
        assert pragma("synchronous") == 2  # FULL
        assert pragma("foreign_keys") == 1
        assert pragma("busy_timeout") == BUSY_TIMEOUT_MS


def test_database_creates_the_directory_of_its_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "warden.db"

    db = Database(f"sqlite:///{path}")
    db.migrate()
    db.dispose()

    assert path.is_file()


def test_writer_takes_the_write_lock_when_its_transaction_starts(core: Core) -> None:
    path = _sqlite_path(core)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with core.db.writer() as session:
            session.execute(text("SELECT 1"))  # a read, yet the write lock is already held
            with pytest.raises(sqlite3.OperationalError, match="database is locked"):
                other.execute("BEGIN IMMEDIATE")

        other.execute("BEGIN IMMEDIATE")  # released on exit
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_reader_does_not_block_writers(core: Core) -> None:
    path = _sqlite_path(core)
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with core.db.reader() as session:
            session.execute(text("SELECT count(*) FROM device")).scalar()
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
    finally:
        other.close()


def test_threads_writing_at_once_never_see_a_locked_database(core: Core) -> None:
    with core.db.writer() as session:
        make_device(session, id="meter-1")
    workers = [f"thread-{i}" for i in range(4)]
    start = threading.Barrier(len(workers))

    def work(worker: str) -> None:
        start.wait(timeout=30)
        _updates(core.db.writer, device_id="meter-1", worker=worker, count=WRITES_PER_WORKER)

    with ThreadPoolExecutor(max_workers=len(workers)) as pool:
        for future in [pool.submit(work, w) for w in workers]:
            future.result(timeout=120)  # re-raises OperationalError, if any

    assert _count_updates(core, "thread-") == dict.fromkeys(workers, WRITES_PER_WORKER)
    with core.db.reader() as session:
        final = devices.get_device(session=session, ref="meter-1")
    assert final.location in {f"{w}-{WRITES_PER_WORKER - 1}" for w in workers}
    assert final.last_seen == EPOCH_2026 + timedelta(seconds=WRITES_PER_WORKER - 1)


def test_processes_writing_at_once_never_see_a_locked_database(core: Core) -> None:
    with core.db.writer() as session:
        make_device(session, id="meter-1")
    context = multiprocessing.get_context("spawn")
    workers = ["process-a", "process-b"]
    barrier = context.Barrier(len(workers) + 1)
    failures = context.Queue()
    processes = [
        context.Process(
            target=_process_worker, args=(core.db.url, w, WRITES_PER_WORKER, barrier, failures)
        )
        for w in workers
    ]
    for process in processes:
        process.start()
    try:
        barrier.wait(timeout=60)  # both have imported everything and opened the database
        # ... and this process writes at the same time.
        _updates(core.db.writer, device_id="meter-1", worker="parent", count=WRITES_PER_WORKER)
        for process in processes:
            process.join(timeout=120)
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()
                process.join()

    problems = []
    while not failures.empty():
        problems.append(failures.get_nowait())
    assert not problems, "\n".join(problems)
    assert [p.exitcode for p in processes] == [0, 0]
    assert _count_updates(core, "process-") == dict.fromkeys(workers, WRITES_PER_WORKER)
    assert _count_updates(core, "parent") == {"parent": WRITES_PER_WORKER}
