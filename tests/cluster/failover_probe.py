"""Measure a fail-over by hand: kill -9 one running agent and time until the other agents'
lock sessions hold every elected job's lock (read from ``pg_locks``, every 20 ms).

    python -m tests.cluster.failover_probe DATABASE_URL AGENT_PID AGENT_NAME

with two or more ``warden agent`` processes running on DATABASE_URL (docs/cluster.md gives
the figures this printed)."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from sqlalchemy import create_engine, text

from warden.agent_jobs import ELECTED_JOBS
from warden.leadership import LOCK_NAMESPACE, application_name, job_key

HELD_BY_OTHERS = text(
    "SELECT l.objid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :ns AND l.objsubid = 2 "
    "AND a.datname = current_database() AND a.application_name <> :dead"
)


def main(url: str, pid: int, name: str) -> float:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    params = {"ns": LOCK_NAMESPACE, "dead": application_name(name)}
    with engine.connect() as connection:
        # The jobs every agent elects, backup only when a schedule is set (the default).
        wanted = {row[0] for row in connection.execute(HELD_BY_OTHERS, {**params, "dead": ""})}
        wanted &= {job_key(job) for job in ELECTED_JOBS}
        os.kill(pid, signal.SIGKILL)
        killed = time.monotonic()
        pause = threading.Event()
        while not wanted <= {row[0] for row in connection.execute(HELD_BY_OTHERS, params)}:
            pause.wait(0.02)
        took = time.monotonic() - killed
    engine.dispose()
    print(f"fail-over: every job led by the others {took:.2f} s after kill -9 of {name}")
    return took


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
