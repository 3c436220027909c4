"""`warden bench scale` end to end with tiny numbers: real agents on a real PostgreSQL and
mosquitto, one agent on SQLite, the bare paho subscriber, the leader killed. Checks the
report's shape, zero loss and that the killed leader's jobs moved; never any timing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks import ingest_bench, scale_bench
from benchmarks.failover import JobLocks
from tests.conftest import DEFAULT_PG_URL, PG_URL_ENV
from warden.agent_jobs import ELECTED_JOBS
from warden.leadership import LOCK_NAMESPACE, MEMBERSHIP_KEY, application_name

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(600)]

PER_COUNT = ("messages_per_s", "cpu_us_per_message", "lost", "duplicated")


def test_a_small_run_reports_every_agent_count_and_loses_nothing(
    tmp_path: Path, pg_url: str
) -> None:
    del pg_url  # only that the server is there: the bench makes databases of its own
    if not Path(ingest_bench.MOSQUITTO).exists():
        pytest.fail(f"mosquitto is not installed at {ingest_bench.MOSQUITTO}")

    result = scale_bench.run(
        agents=(2, 1),
        messages=500,
        devices=5,
        server_url=os.environ.get(PG_URL_ENV, DEFAULT_PG_URL),
        timeout_s=60,
        workdir=tmp_path,
        job_locks=JobLocks(LOCK_NAMESPACE, MEMBERSHIP_KEY, application_name, len(ELECTED_JOBS)),
    )

    assert result["agents"] == [1, 2]
    for key in PER_COUNT:
        assert set(result[key]) == {"1", "2"}, key
    assert result["lost"] == {"1": 0, "2": 0}
    assert result["duplicated"] == {"1": 0, "2": 0}
    assert result["completed"] == {"1": True, "2": True}
    assert set(result["idle_cpu_pct"]) == {"1", "2"}
    assert all(rate > 0 for rate in result["messages_per_s"].values())
    assert all(cpu > 0 for cpu in result["cpu_us_per_message"].values())
    assert result["sqlite"]["lost"] == result["sqlite"]["duplicated"] == 0
    assert result["sqlite"]["rows"] == 500 * 11  # 10 measurements and the derived power
    assert result["paho_limit_per_s"] > 0
    failover = result["failover"]
    assert result["failover_s"] == failover["failover_s"] > 0
    assert failover["locks_moved"] > 0
    assert failover["killed"] not in failover["new_holders"]
    assert failover["rejoined"] is True
    assert list(tmp_path.iterdir()) == []  # the scratch directory is removed
