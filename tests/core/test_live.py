"""The change feed: what makes a change in one process show up in every other."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlmodel import Session

from core.models import ChangePublic
from core.runtime import Core
from core.services import devices
from core.services.changes import record_change
from tests.factories import EPOCH_2026, actor, make_device

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_a_new_feed_reports_only_what_happens_after_it(any_core: Core) -> None:
    with any_core.db.writer() as session:
        make_device(session, id="old-1")
    feed = any_core.change_feed()

    assert feed.poll() == []

    with any_core.db.writer() as session:
        make_device(session, id="meter-1")
        devices.record_seen(session=session, device_id="meter-1", seen_at=EPOCH_2026)
        devices.set_enabled(session=session, device_id="meter-1", enabled=False, actor=actor())
    changes = feed.poll()

    assert [(c.kind, c.entity_id) for c in changes] == [
        ("device.registered", "meter-1"),
        ("device.came_online", "meter-1"),
        ("device.disabled", "meter-1"),
    ]
    assert [c.id for c in changes] == sorted(c.id for c in changes)
    assert changes[0].actor == "tester"
    assert feed.poll() == []
    feed.close()


def test_a_feed_can_start_from_a_known_change(any_core: Core) -> None:
    with any_core.db.writer() as session:
        make_device(session, id="a-1")
        make_device(session, id="b-1")

    feed = any_core.change_feed(start_after=0)

    assert [c.entity_id for c in feed.poll()] == ["a-1", "b-1"]
    feed.close()


def test_a_closed_feed_reconnects_and_misses_nothing(any_core: Core) -> None:
    feed = any_core.change_feed()
    assert feed.poll() == []
    feed.close()

    with any_core.db.writer() as session:
        make_device(session, id="meter-1")

    assert [c.entity_id for c in feed.poll()] == ["meter-1"]
    feed.close()


_OTHER_PROCESS = textwrap.dedent(
    """
    import sys
    from datetime import UTC, datetime

    from core.config import load_settings
    from core.runtime import open_core
    from core.services import devices

    core = open_core(load_settings(data_dir=sys.argv[1], database_url=sys.argv[2]))
    with core.db.writer() as session:
        devices.record_seen(session=session, device_id="remote-1", seen_at=datetime.now(UTC))
    core.close()
    """
)


def test_a_commit_by_another_process_is_seen(any_core: Core) -> None:
    feed = any_core.change_feed()
    assert feed.poll() == []
    other = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _OTHER_PROCESS,
            str(any_core.settings.data_dir),
            any_core.db.engine.url.render_as_string(hide_password=False),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    seen: list[ChangePublic] = []
    try:
        # The other process may take many seconds to start on a loaded machine: wait for
        # its commit or its exit, whichever comes first (bounded generously).
        deadline = time.monotonic() + 90
        while not seen and time.monotonic() < deadline:
            exited = other.poll() is not None
            seen = feed.poll()
            if exited:
                break  # its commit, if any, was there for the poll just made
            with contextlib.suppress(subprocess.TimeoutExpired):
                other.wait(timeout=0.05)
        output, _ = other.communicate(timeout=30)
    finally:
        if other.poll() is None:
            other.kill()
            other.wait()
        feed.close()

    assert other.returncode == 0, output
    assert [(c.kind, c.entity_id, c.actor) for c in seen] == [
        ("device.registered", "remote-1", "collector")
    ]


@pytest.mark.postgres
def test_postgres_feed_never_passes_over_a_slower_transaction(pg_url: str, data_dir) -> None:  # type: ignore[no-untyped-def]
    """Two writers at once on PostgreSQL, where ids are handed out at insert time: the one
    that took the smaller id is still open. The other must not commit before it (or the
    feed would move past the smaller id and never deliver it)."""
    import threading

    from core.config import load_settings
    from core.runtime import open_core

    core = open_core(load_settings(data_dir=data_dir, database_url=pg_url))
    feed = core.change_feed()

    def write(session: Session, name: str) -> None:
        record_change(
            session=session,
            actor=actor(),
            kind="device.updated",
            entity="device",
            entity_id=name,
            summary=name,
        )
        session.flush()

    try:
        with Session(core.db.engine) as slow, Session(core.db.engine) as fast:
            write(slow, "slow-1")  # takes its id now, commits later
            fast_done = threading.Event()

            def fast_writer() -> None:
                write(fast, "fast-1")
                fast.commit()
                fast_done.set()

            thread = threading.Thread(target=fast_writer, daemon=True)
            thread.start()
            assert not fast_done.wait(0.5)  # held back while the slower one is open
            assert feed.poll() == []
            slow.commit()
            thread.join(10)
            assert fast_done.is_set()
        seen = [c.entity_id for c in feed.poll()]
    finally:
        feed.close()
        core.close()

    assert seen == ["slow-1", "fast-1"]
