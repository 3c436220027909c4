"""The agent's change watch (``warden.change_signal``) wakes when another connection
commits a change, on SQLite (``data_version``) and PostgreSQL (``LISTEN``/``NOTIFY``), and
times out when nothing is committed. A commit is made on another thread while the watch
waits, and the wait must return True for it."""

from __future__ import annotations

import threading

from core.db import Database
from core.models import Actor, DeviceCreate
from core.runtime import Core
from core.services import devices
from warden.change_signal import ChangeSignal

BOUND_S = 30
"""Far longer than a wake-up takes: only a watch that never wakes reaches it."""


def register_from_another_connection(url: str, started: threading.Event) -> None:
    started.wait(BOUND_S)
    other = Database(url)
    try:
        with other.writer() as session:
            devices.register_device(
                session=session,
                create=DeviceCreate(id="cam-1", type="camera"),
                actor=Actor.system("test"),
            )
    finally:
        other.dispose()


def test_a_commit_elsewhere_wakes_the_watch(any_core: Core) -> None:
    signal = ChangeSignal(any_core.db)
    stop = threading.Event()
    try:
        assert signal.wait(0.05, stop) is False  # connects; nothing committed since
        started = threading.Event()
        writer = threading.Thread(
            target=register_from_another_connection, args=(any_core.db.url, started)
        )
        writer.start()
        started.set()
        woke = signal.wait(BOUND_S, stop)
        writer.join(BOUND_S)
    finally:
        signal.close()

    assert woke is True


def test_a_stop_ends_the_wait(any_core: Core) -> None:
    signal = ChangeSignal(any_core.db)
    stop = threading.Event()
    stop.set()
    try:
        assert signal.wait(BOUND_S, stop) is False
    finally:
        signal.close()
