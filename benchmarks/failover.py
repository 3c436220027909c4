"""How long the jobs of a killed leader stay without a leader: ``failover_s`` of
``warden bench scale``.

Leaders are elected with PostgreSQL session-level advisory locks (``warden.leadership``), so
PostgreSQL itself says who leads: ``pg_locks`` lists every job lock granted and the backend
holding it, and each agent's lock session is named for it in ``pg_stat_activity``
(``application_name``). The bench does not wait for any agent's heartbeat or report. The
agent holding the most job locks is killed with SIGKILL; ``failover_s`` is the time until
every lock it held is granted to another agent (polled every 0.1 s). Then it is started
again and must come back (``rejoined``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import create_engine, text

from benchmarks.agent_cluster import AgentProcess, wait_until

JOB_LOCKS_SQL = text(
    "SELECT l.objid, a.application_name FROM pg_locks AS l "
    "JOIN pg_stat_activity AS a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :ns AND l.objsubid = 2 "
    "AND l.objid <> :member AND a.datname = current_database()"
)


@dataclass(frozen=True)
class JobLocks:
    """How the agents' election names its locks (``warden.leadership``), handed in by the
    composition root: benchmarks sit below it and do not import it."""

    namespace: int
    """The first key of every job lock."""
    membership_key: int
    """The second key of the lock every agent holds shared (not a job)."""
    session_name: Callable[[str], str]
    """An agent's name to its lock session's ``application_name``."""
    jobs: int
    """How many elected jobs there are."""


def lock_holders(database_url: str, agents: list[AgentProcess], locks: JobLocks) -> dict[int, str]:
    """Every job lock granted in the agents' database, by the name of the agent holding
    it (``?`` for a session of no agent given)."""
    names = {locks.session_name(a.name): a.name for a in agents}
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                JOB_LOCKS_SQL, {"ns": locks.namespace, "member": locks.membership_key}
            )
            return {int(objid): names.get(app, "?") for objid, app in rows}
    finally:
        engine.dispose()


def measure_failover(
    agents: list[AgentProcess], database_url: str, locks: JobLocks, *, timeout_s: float
) -> dict[str, Any]:
    """Kill the agent holding the most leader locks; time until others hold them all."""
    held: dict[int, str] = {}

    def leaders_elected() -> bool:
        held.clear()
        held.update(lock_holders(database_url, agents, locks))
        return len(held) == locks.jobs and "?" not in held.values()

    try:
        wait_until(leaders_elected, timeout_s, "every elected job's lock held by an agent")
    except TimeoutError:
        return {"failover_s": None, "reason": f"job locks held: {len(held)} of {locks.jobs}"}
    counts: dict[str, int] = {}
    for name in held.values():
        counts[name] = counts.get(name, 0) + 1
    leader_name = max((n for n in counts if n != "?"), key=lambda n: counts[n])
    leader = next(a for a in agents if a.name == leader_name)
    jobs = {key for key, name in held.items() if name == leader_name}
    others = [a for a in agents if a is not leader]
    killed_at = time.monotonic()
    leader.kill()
    holders: dict[int, str] = {}

    def taken_over() -> bool:
        holders.clear()
        holders.update(lock_holders(database_url, others, locks))
        return all(holders.get(key, "?") != "?" for key in jobs)

    wait_until(taken_over, timeout_s, f"the {len(jobs)} lock(s) of {leader_name} taken over")
    failover_s = time.monotonic() - killed_at
    leader.start()
    leader.wait_ready(timeout_s)
    return {
        "failover_s": round(failover_s, 2),
        "killed": leader_name,
        "locks_moved": len(jobs),
        "new_holders": sorted({holders[key] for key in jobs}),
        "rejoined": leader.alive(),
    }
