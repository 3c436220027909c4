"""On SQLite there is no election: the one agent leads every job, as before, and its row in
the agents registry (one row) says so to ``warden cluster status``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from core.config import load_settings
from core.models import AgentBeat
from core.runtime import open_core
from core.services import cluster
from tests.cluster.test_failover import ALL_JOBS
from tests.collectors.conftest import QUIET_SYSLOG
from warden.agent import Agent
from warden.cli.main import cli


def test_the_single_sqlite_agent_leads_every_job_and_shows_in_cluster_status(
    data_dir: Path, broker: Any
) -> None:
    settings = load_settings(
        data_dir=data_dir,
        mqtt_url=broker.url,
        mqtt_client_id=f"warden-test-{broker.port}",
        agent_name="gateway-1",
        backup_schedule="",
        **QUIET_SYSLOG,
    )
    core = open_core(settings)
    agent = Agent(core)
    try:
        agent.start()  # the first heartbeat is written before start returns
        assert agent.leadership.leads() == ALL_JOBS
        assert agent.enforcing  # SQLite: the one agent reconciles, dry run or not
        runner = CliRunner()
        env = {"WARDEN_DATA_DIR": str(data_dir)}
        shown = runner.invoke(cli, ["cluster", "status", "--json"], env=env)
        assert shown.exit_code == 0, shown.output
        status = json.loads(shown.stdout)
        (row,) = status["agents"]
        assert row["name"] == "gateway-1"
        assert row["state"] == "alive"
        assert row["leads"] == ALL_JOBS
        assert status["leaders"] == dict.fromkeys(ALL_JOBS, "gateway-1")
        table = runner.invoke(cli, ["cluster", "status"], env=env)
        assert table.exit_code == 0 and "gateway-1" in table.stdout
    finally:
        agent.stop()
        core.close()
    stopped = CliRunner().invoke(cli, ["cluster", "status", "--json"], env=env)
    assert '"state": "stopped"' in stopped.stdout


def test_a_heartbeat_says_when_its_name_was_last_written_by_another_process(data_dir: Path) -> None:
    """Two agents given one name overwrite each other: the heartbeat says whose row it
    overwrote (the agent logs it from its second beat on)."""
    core = open_core(load_settings(data_dir=data_dir))
    try:
        first, second = (
            AgentBeat(
                name="gw",
                host=host,
                pid=100,
                version="1",
                started_at=core.clock.now(),
                leads=[],
                brokers=[],
                ingest_per_s=0.0,
                enforcing=False,
            )
            for host in ("host-a", "host-b")
        )
        with core.db.writer() as session:
            assert (
                cluster.record_heartbeat(session=session, beat=first, now=core.clock.now()) is None
            )
            assert (
                cluster.record_heartbeat(session=session, beat=first, now=core.clock.now()) is None
            )
            clash = cluster.record_heartbeat(session=session, beat=second, now=core.clock.now())
        assert clash == "host-a pid 100"
    finally:
        core.close()
