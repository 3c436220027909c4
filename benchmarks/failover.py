"""How long the jobs of a killed leader stay without a leader: ``failover_s`` of
``warden bench scale``.

Leaders are elected with PostgreSQL session-level advisory locks, so PostgreSQL itself
says who leads: ``pg_locks`` lists every advisory lock granted and the backend holding it,
and ``pg_stat_activity.client_port`` names the TCP port of that backend's client. Each
agent's sockets (``/proc/PID/fd``, ``/proc/net/tcp``) give its ports, so a lock is tied to
an agent without trusting the agent's own report. The agent holding the most locks is
killed with SIGKILL; ``failover_s`` is the time until every lock it held is granted to
another agent. Then it is started again and must come back (``rejoined``).
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from benchmarks.agent_cluster import AgentProcess, wait_until

LOCKS_SQL = (
    "SELECT l.classid, l.objid, l.objsubid, a.client_port FROM pg_locks AS l "
    "JOIN pg_stat_activity AS a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database()"
)
SOCKET = re.compile(r"socket:\[(\d+)\]")

LockKey = tuple[int, int, int]


def local_ports(pid: int) -> set[int]:
    """The local TCP ports of a process's sockets (IPv4 and IPv6)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            found = SOCKET.fullmatch(os.readlink(fd))
        except OSError:  # closed meanwhile
            continue
        if found:
            inodes.add(found.group(1))
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def lock_holders(database_url: str, agents: list[AgentProcess]) -> dict[LockKey, str]:
    """Every advisory lock granted in the agents' database, by the name of the agent
    holding it (``?`` for a backend of no agent given)."""
    ports = {port: a.name for a in agents if a.alive() for port in local_ports(a.pid)}
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = list(connection.execute(text(LOCKS_SQL)))
    finally:
        engine.dispose()
    return {(c, o, s): ports.get(port, "?") for c, o, s, port in rows}


def measure_failover(
    agents: list[AgentProcess], database_url: str, *, timeout_s: float
) -> dict[str, Any]:
    """Kill the agent holding the most leader locks; time until others hold them all."""
    held: dict[LockKey, str] = {}

    def leaders_elected() -> bool:
        held.update(lock_holders(database_url, agents))
        return any(name != "?" for name in held.values())

    try:
        wait_until(leaders_elected, timeout_s, "an agent holding an advisory lock")
    except TimeoutError:
        return {"failover_s": None, "reason": "no agent holds an advisory lock (no election)"}
    counts: dict[str, int] = {}
    for name in held.values():
        counts[name] = counts.get(name, 0) + 1
    leader_name = max((n for n in counts if n != "?"), key=lambda n: counts[n])
    leader = next(a for a in agents if a.name == leader_name)
    jobs = {key for key, name in held.items() if name == leader_name}
    others = [a for a in agents if a is not leader]
    killed_at = time.monotonic()
    leader.kill()
    holders: dict[LockKey, str] = {}

    def taken_over() -> bool:
        holders.clear()
        holders.update(lock_holders(database_url, others))
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
