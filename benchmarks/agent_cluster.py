"""Several real ``warden agent`` processes on one database and one or two brokers: what
``warden bench scale`` measures and tests/cluster/ proves things with.

Each agent is a separate ``python -m warden agent`` process with its own name, MQTT client
id and data directory, on the database and brokers given, joined to the MQTT share group
(``WARDEN_MQTT_SHARE_GROUP``) so the brokers split the devices' messages between them. Its
syslog listens on free ports; enforcement is left to ``auto``, which without LAN interfaces
is a dry run, so the agents collect only, as agents beside the gateway do (docs/cluster.md). The
code the agents run is this checkout's (``PYTHONPATH`` = the directory above this file), so
a test of a branch runs that branch's agent.

Readiness is an event, never a pause: an agent is ready when its own log said it runs and
that it connected to every broker (the collector subscribes in the same callback that
logs the connection, before the broker answers any later client). Whatever the agent
logs is kept in ``<data dir>/agent.log`` for the post-mortem of a failed run.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.ingest_bench import cpu_s

REPO = Path(__file__).resolve().parent.parent
"""The checkout whose code the agents run."""
RUNNING_LINE = "agent running:"
CONNECTED_LINE = "connected to broker"
STOP_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class AgentConfig:
    """What makes one agent of the cluster itself."""

    name: str
    database_url: str
    mqtt_urls: tuple[str, ...]
    data_dir: Path
    share_group: str | None = "warden"

    def environment(self) -> dict[str, str]:
        """The process environment: the caller's, minus any WARDEN_* of its own (a
        developer's database must never be touched), plus this agent's settings."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("WARDEN_")}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p
        )
        env.update(
            {
                "WARDEN_DATABASE_URL": self.database_url,
                "WARDEN_MQTT_URL": ",".join(self.mqtt_urls),
                "WARDEN_AGENT_NAME": self.name,
                "WARDEN_MQTT_CLIENT_ID": f"warden-{self.name}",
                "WARDEN_DATA_DIR": str(self.data_dir),
                "WARDEN_SYSLOG_UDP_PORT": "0",
                "WARDEN_SYSLOG_TCP_PORT": "0",
                "WARDEN_LOG_LEVEL": "INFO",
            }
        )
        if self.share_group:
            env["WARDEN_MQTT_SHARE_GROUP"] = self.share_group
        return env


class AgentProcess:
    """One ``warden agent`` process; its log lines are read as they come (``wait_for``)."""

    def __init__(self, config: AgentConfig) -> None:
        self.config = config
        self.process: subprocess.Popen[bytes] | None = None
        self._lines: list[str] = []
        self._tail: collections.deque[str] = collections.deque(maxlen=40)
        self._changed = threading.Condition()
        self._reader: threading.Thread | None = None

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"agent {self.name} was never started")
        return self.process.pid

    def start(self) -> None:
        """Start (or restart) the process; the log of every start goes on in one file."""
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        with self._changed:
            self._lines = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "warden", "agent"],
            env=self.config.environment(),
            cwd=self.config.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._reader = threading.Thread(
            target=self._read, args=(self.process,), name=f"log-{self.name}", daemon=True
        )
        self._reader.start()

    def _read(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stderr is not None
        with (self.config.data_dir / "agent.log").open("a") as log:
            for raw in process.stderr:
                line = raw.decode(errors="replace").rstrip("\n")
                log.write(line + "\n")
                log.flush()
                with self._changed:
                    self._lines.append(line)
                    self._tail.append(line)
                    self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def wait_for(self, predicate: Callable[[list[str]], bool], timeout_s: float, what: str) -> None:
        """Until ``predicate`` holds for the lines logged since the last start; raises with
        the log's tail when the process exits first or ``timeout_s`` passes."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not predicate(self._lines):
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"agent {self.name} exited before {what}:\n{self.tail()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"agent {self.name}: no {what} in {timeout_s} s:\n{self.tail()}"
                    )
                self._changed.wait(min(left, 0.5))  # 0.5: notice an exit without a last line

    def wait_ready(self, timeout_s: float) -> None:
        """Until it runs and has connected to every broker."""
        brokers = len(self.config.mqtt_urls)

        def ready(lines: list[str]) -> bool:
            running = any(RUNNING_LINE in line for line in lines)
            connected = {
                url
                for line in lines
                if CONNECTED_LINE in line
                for url in self.config.mqtt_urls
                if url in line
            }
            return running and len(connected) == brokers

        self.wait_for(ready, timeout_s, "readiness (running, connected to every broker)")

    def tail(self) -> str:
        with self._changed:
            return "\n".join(self._tail)

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the running process has spent."""
        return cpu_s(self.pid)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9: no goodbye to the broker, no last commit, no lock released by hand."""
        if self.alive():
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=STOP_TIMEOUT_S)
        self._join_reader()

    def stop(self) -> None:
        """SIGTERM, as an operator stops it; SIGKILL when it does not stop in time."""
        if self.alive():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT_S)
        self._join_reader()

    def _join_reader(self) -> None:
        if self._reader is not None:
            self._reader.join(timeout=STOP_TIMEOUT_S)


@contextmanager
def agent_cluster(
    directory: Path,
    *,
    database_url: str,
    mqtt_urls: Sequence[str],
    agents: int,
    share_group: str | None = "warden",
    ready_timeout_s: float = 60.0,
) -> Iterator[list[AgentProcess]]:
    """``agents`` agents named a1, a2, … started together and ready (on a new database they
    race to create the schema, as agents deployed together do); all stopped on exit."""
    started = [
        AgentProcess(
            AgentConfig(
                name=f"a{n}",
                database_url=database_url,
                mqtt_urls=tuple(mqtt_urls),
                data_dir=directory / f"a{n}",
                share_group=share_group,
            )
        )
        for n in range(1, agents + 1)
    ]
    try:
        for agent in started:
            agent.start()
        for agent in started:
            agent.wait_ready(ready_timeout_s)
        yield started
    finally:
        for agent in started:
            agent.stop()


def wait_until(
    condition: Callable[[], bool], timeout_s: float, what: str | Callable[[], str]
) -> None:
    """Until ``condition()`` holds (checked every 0.1 s), or raise after ``timeout_s``: for
    state other processes commit to the database, which sends no event of its own.
    ``what`` says what was awaited (a callable: made when it failed, with the state then)."""
    deadline = time.monotonic() + timeout_s
    pause = threading.Event()
    while not condition():
        if time.monotonic() >= deadline:
            raise TimeoutError(f"not within {timeout_s} s: {what() if callable(what) else what}")
        pause.wait(0.1)
