"""Real ``warden agent`` processes on one PostgreSQL database and one mosquitto: kill -9 of
the leader moves its jobs to the other agent, and the killed agent, started again, rejoins
as a standby and gets its share of the jobs back. ``warden cluster status --json`` shows it
all (the registry each agent upserts on its heartbeat)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from core.config import load_settings
from core.runtime import open_core
from core.services.cluster import cluster_status
from tests.collectors.conftest import wait_until
from warden.agent_jobs import ELECTED_JOBS
from warden.leadership import LOCK_NAMESPACE, TAKEOVER_BOUND_S, application_name, job_key

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ALL_JOBS = sorted(ELECTED_JOBS - {"backup"})
"""What each agent elects here (no backup schedule is set)."""
HEARTBEAT_WAIT_S = 30.0
"""Bound for what the registry shows: a start (migrations, catalog) plus a few heartbeats."""


class Cluster:
    def __init__(self, tmp: Path, pg_url: str, mqtt_url: str) -> None:
        self.tmp, self.pg_url, self.mqtt_url = tmp, pg_url, mqtt_url
        self.agents: dict[str, subprocess.Popen[bytes]] = {}
        # Opening the Core migrates, as an operator does before starting agents side by side.
        self.core = open_core(load_settings(data_dir=tmp / "reader", database_url=pg_url))

    def env(self, name: str) -> dict[str, str]:
        data_dir = self.tmp / name
        data_dir.mkdir(exist_ok=True)
        return {
            **os.environ,
            "WARDEN_DATA_DIR": str(data_dir),
            "WARDEN_DATABASE_URL": self.pg_url,
            "WARDEN_AGENT_NAME": name,
            "WARDEN_MQTT_URL": self.mqtt_url,
            "WARDEN_MQTT_CLIENT_ID": f"warden-{name}",
            "WARDEN_SYSLOG_HOST": "127.0.0.1",
            "WARDEN_SYSLOG_UDP_PORT": "0",
            "WARDEN_SYSLOG_TCP_PORT": "0",
            "WARDEN_BACKUP_SCHEDULE": "",
        }

    def start(self, name: str) -> subprocess.Popen[bytes]:
        log = (self.tmp / f"{name}.log").open("ab")
        self.agents[name] = subprocess.Popen(
            [sys.executable, "-m", "warden", "agent"],
            env=self.env(name),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self.agents[name]

    def status(self) -> dict[str, Any]:
        """What ``warden cluster status --json`` says, read through the same service."""
        with self.core.db.reader() as session:
            found = cluster_status(session=session, now=self.core.clock.now())
        return found.model_dump(mode="json")

    def cli_status(self) -> dict[str, Any]:
        """``warden cluster status --json``, the real command."""
        done = subprocess.run(
            [sys.executable, "-m", "warden", "cluster", "status", "--json"],
            env=self.env("cli"),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(done.stdout)

    def agent(self, name: str) -> dict[str, Any]:
        return next(a for a in self.status()["agents"] if a["name"] == name)

    def led_by_others(self, dead: str) -> set[str]:
        """The jobs whose lock a session other than ``dead``'s holds, read from pg_locks."""
        engine = create_engine(self.pg_url)
        keys = {job_key(job): job for job in ALL_JOBS}
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    text(
                        "SELECT l.objid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                        "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :ns "
                        "AND a.datname = current_database() "
                        "AND l.objsubid = 2 AND a.application_name <> :dead"
                    ),
                    {"ns": LOCK_NAMESPACE, "dead": application_name(dead)},
                )
                return {keys[key] for (key,) in rows if key in keys}
        finally:
            engine.dispose()

    def stop_all(self) -> None:
        for process in self.agents.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.agents.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def cluster(tmp_path: Path, pg_url: str, broker: Any) -> Iterator[Cluster]:
    made = Cluster(tmp_path, pg_url, broker.url)
    try:
        yield made
    finally:
        made.stop_all()
        made.core.close()
        for log in sorted(tmp_path.glob("*.log")):
            sys.stderr.write(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}\n")


def test_kill_9_of_the_leader_moves_its_jobs_and_the_agent_rejoins_as_standby(
    cluster: Cluster,
) -> None:
    cluster.start("agent-a")
    cluster.start("agent-b")

    def both_alive_sharing_every_job() -> bool:
        status = cluster.status()
        alive = {a["name"] for a in status["agents"] if a["state"] == "alive"}
        return alive == {"agent-a", "agent-b"} and sorted(status["leaders"]) == ALL_JOBS

    wait_until(both_alive_sharing_every_job, HEARTBEAT_WAIT_S, "two agents leading every job")
    leader = cluster.status()["leaders"]["liveness"]
    survivor = next(name for name in cluster.agents if name != leader)
    old_pid = cluster.agent(leader)["pid"]

    cluster.agents[leader].send_signal(signal.SIGKILL)
    cluster.agents[leader].wait(timeout=10)
    # Bounded: every job led again well within the election's take-over bound (no waiting
    # for a lease: the killed process's sessions end with it).
    wait_until(
        lambda: cluster.led_by_others(leader) == set(ALL_JOBS),
        TAKEOVER_BOUND_S * 5,
        "the survivor to take every job over",
    )
    wait_until(
        lambda: cluster.agent(survivor)["leads"] == ALL_JOBS,
        HEARTBEAT_WAIT_S,
        "the survivor's row to say it leads every job",
    )

    cluster.start(leader)  # back as a standby; the survivor hands it a fair share

    def rejoined_with_a_share() -> bool:
        row = cluster.agent(leader)
        return row["state"] == "alive" and row["pid"] != old_pid and len(row["leads"]) >= 4

    wait_until(rejoined_with_a_share, HEARTBEAT_WAIT_S, "the restarted agent to lead again")

    def settled() -> bool:
        """Each row is what its agent led at its own last heartbeat: while a job is handed
        over the two may both name it until the next beats."""
        rows = [set(cluster.agent(name)["leads"]) for name in (leader, survivor)]
        return rows[0].isdisjoint(rows[1]) and rows[0] | rows[1] == set(ALL_JOBS)

    wait_until(settled, HEARTBEAT_WAIT_S, "the two rows to share the jobs out")
    assert all(b["connected"] for a in cluster.status()["agents"] for b in a["brokers"])

    shown = cluster.cli_status()
    assert sorted(shown["leaders"]) == ALL_JOBS
    assert {a["name"]: a["state"] for a in shown["agents"]} == {
        "agent-a": "alive",
        "agent-b": "alive",
    }

    cluster.stop_all()
    assert {a["name"]: a["state"] for a in cluster.cli_status()["agents"]} == {
        "agent-a": "stopped",
        "agent-b": "stopped",
    }
