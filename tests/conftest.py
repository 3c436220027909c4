"""Fixtures shared by every test folder.

Real things wherever the machine has them: a SQLite file in a temporary directory, a
brand-new PostgreSQL database per test, a real ``mosquitto`` on a free port.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from core.config import Settings, load_settings
from core.runtime import Core, open_core
from tests.factories import FakeClock

PG_URL_ENV = "WARDEN_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
MOSQUITTO = "/usr/sbin/mosquitto"


NO_NETEM = "this kernel has no netem"
MACHINE_FEATURES_CI_MAY_LACK = (NO_NETEM,)
"""The only skips CI lets stand: a kernel or machine feature a CI runner may lack (a skip
reason equal to one of these, or one followed by a space and more detail). Under
``CI=true`` any other skip is a failure: the test was meant to run there."""


def _unavailable(reason: str) -> None:
    """Skip a test that needs something this machine lacks; under ``CI=true`` that is a
    failure (``pytest_runtest_makereport`` below), unless ``reason`` names a feature of
    ``MACHINE_FEATURES_CI_MAY_LACK``."""
    pytest.skip(reason)


def _ci_may_skip(reason: str) -> bool:
    return any(reason == f or reason.startswith(f + " ") for f in MACHINE_FEATURES_CI_MAY_LACK)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under ``CI=true`` a skip (by ``pytest.skip``, a skip mark or ``importorskip``) is
    reported as a failure unless it names a machine feature CI may lack."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if os.environ.get("CI") != "true" or not report.skipped or hasattr(report, "wasxfail"):
        return
    reason = _skip_reason(report.longrepr)
    if _ci_may_skip(reason):
        return
    report.outcome = "failed"
    report.longrepr = (
        f"skipped under CI=true: {reason!r}. Only a missing kernel or machine feature may "
        "skip in CI (tests/conftest.py MACHINE_FEATURES_CI_MAY_LACK); install what the "
        "test needs instead."
    )


def _skip_reason(longrepr: object) -> str:
    """The reason of a skip report (``(path, line, "Skipped: reason")``)."""
    message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return message.removeprefix("Skipped: ")


@pytest.fixture(autouse=True)
def _no_warden_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's WARDEN_* variables (except the test PG server)."""
    for name in list(os.environ):
        if name.startswith("WARDEN_") and name != PG_URL_ENV:
            monkeypatch.delenv(name)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh, empty directory for WARDEN_DATA_DIR."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path) -> Settings:
    """Settings with the SQLite database in ``data_dir``."""
    return load_settings(data_dir=data_dir)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def core(settings: Settings) -> Iterator[Core]:
    """A Core on a fresh, migrated SQLite database."""
    opened = open_core(settings)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """The URL of a brand-new PostgreSQL database, dropped after the test."""
    server_url = os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)
    admin = create_engine(
        server_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    name = f"warden_test_{uuid.uuid4().hex}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        shown = make_url(server_url).render_as_string(hide_password=True)
        reason = " ".join(str(exc.orig).split())
        _unavailable(f"PostgreSQL not reachable at {shown}: {reason}")
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_core(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Core]:
    """A Core on a fresh, migrated database of each backend in turn."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        backend_settings = load_settings(data_dir=data_dir, database_url=url)
    else:
        backend_settings = load_settings(data_dir=data_dir)
    opened = open_core(backend_settings)
    try:
        yield opened
    finally:
        opened.close()


@dataclass(frozen=True)
class Broker:
    host: str
    port: int
    log: Path
    process: subprocess.Popen[bytes] = field(repr=False, compare=False)

    @property
    def url(self) -> str:
        return f"mqtt://{self.host}:{self.port}"

    def stop(self) -> None:
        """Kill the broker: its clients see their connections drop."""
        self.process.kill()
        self.process.wait(timeout=5)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _start_mosquitto(
    directory: Path, host: str, port: int | None = None
) -> tuple[subprocess.Popen[bytes], int] | None:
    """mosquitto listening on a free port, or None when it exited (the port was taken
    between choosing and binding it)."""
    port = port or _free_port(host)
    config = directory / "mosquitto.conf"
    config.write_text(
        f"listener {port} {host}\nallow_anonymous true\npersistence false\nlog_dest stderr\n"
        # The flow limits docs/mqtt.md asks of a production broker: the default 1 000
        # queued messages drops QoS 1 messages for a collector that is away or slow.
        "max_queued_messages 1000000\nmax_inflight_messages 1000\n"
    )
    with (directory / "mosquitto.log").open("ab") as log_file:
        process = subprocess.Popen(
            [MOSQUITTO, "-c", str(config)], stdout=log_file, stderr=subprocess.STDOUT
        )
    deadline = time.monotonic() + 10
    while process.poll() is None and time.monotonic() < deadline:
        if _accepts(host, port):
            if process.poll() is None:
                return process, port
            break
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=0.05)  # returns early only if it died
    _stop(process)
    return None


@pytest.fixture
def broker_factory(tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    """Starts real mosquitto brokers on free ports of 127.0.0.1, each with its own config
    written here; all are stopped after the test."""
    if shutil.which(MOSQUITTO) is None:
        _unavailable(f"mosquitto is not installed at {MOSQUITTO} (apt-get install mosquitto)")
    host = "127.0.0.1"
    processes: list[subprocess.Popen[bytes]] = []

    def start(port: int | None = None) -> Broker:
        """A new broker; ``port`` restarts one where an earlier one listened."""
        directory = tmp_path / f"broker-{len(processes)}"
        directory.mkdir()
        started = None
        for _attempt in range(3):
            started = _start_mosquitto(directory, host, port)
            if started is not None:
                break
        if started is None:
            log = (directory / "mosquitto.log").read_text(errors="replace")
            pytest.fail(f"mosquitto did not start on {host}:\n{log}", pytrace=False)
        process, port = started
        processes.append(process)
        return Broker(host=host, port=port, log=directory / "mosquitto.log", process=process)

    try:
        yield start
    finally:
        for process in processes:
            _stop(process)


@pytest.fixture
def broker(broker_factory: Callable[..., Broker]) -> Broker:
    """A real mosquitto on a free port of 127.0.0.1, with a config written here."""
    return broker_factory()


@pytest.fixture
def syslog_collector(core: Core) -> Iterator[tuple[Any, Any]]:
    """The real syslog collector and log writer on free loopback ports, storing into
    ``core``'s database."""
    from collectors.syslog import SyslogCollector
    from core.pipeline.log_writer import LogWriter

    writer = LogWriter(core.db)
    collector = SyslogCollector(writer, host="127.0.0.1", udp_port=0, tcp_port=0)
    writer.start()
    collector.start()
    try:
        yield collector, writer
    finally:
        collector.stop()
        writer.stop()
