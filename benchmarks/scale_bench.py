"""``warden bench scale``: one, two, three … agents sharing one PostgreSQL database and one
broker, in one run, beside one agent on SQLite and a bare paho subscriber.

For each agent count a fresh mosquitto (ingest_bench's, on a free port) and a fresh
database (created on ``server_url``'s server and dropped after) are used, so no MQTT session
or row of one count is seen by the next. The agents are real ``warden agent`` processes
(``benchmarks.agent_cluster``) in the share group ``warden``; ingest_bench's publisher
process sends ``messages`` QoS 1 telemetry messages of 10 measurements from ``devices``
meters as fast as the broker acknowledges them. Then:

- ``messages_per_s``: messages / (first publish to the last commit). The last commit is the
  newest ``updated_at`` of the agents' pipeline counters, which every commit writes in its
  own transaction; the run waits (bounded) until the counters say every message was stored.
- ``cpu_us_per_message``: the CPU time of all agent processes together (``/proc``), from
  just before the first publish to the last commit, per message. On two cores the total
  rate cannot grow with agents; what scaling out must keep is this figure, and no loss.
  It includes what every agent spends anyway (heartbeats, elections, the rule runner):
  ``idle_cpu_pct`` is that, the agents' CPU with no traffic over ``IDLE_WINDOW_S`` just
  before the publisher starts, in percent of one core.
- ``mean_batch``: messages per committed batch, over all agents (smaller batches cost more
  per message; agents that wait for each other's device locks commit smaller ones).
- ``lost``: messages minus the distinct messages (device, ts) among the stored readings;
  ``duplicated``: messages stored more than once by the counters (the primary key makes a
  duplicate row impossible).
- ``failover_s`` (with two agents or more): ``benchmarks.failover``, after the ingest of the
  largest agent count.

The SQLite figure is the same measurement with one agent on a SQLite file (no share group);
the paho figure is ``ingest_bench.paho_limit`` on a broker of its own.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import ingest_bench
from benchmarks.agent_cluster import AgentProcess, agent_cluster, wait_until
from benchmarks.cluster_figures import DEFAULT_PG_SERVER, StoredFigures, fresh_pg_database
from benchmarks.failover import JobLocks, measure_failover

IDLE_WINDOW_S = 3.0
"""How long the agents' CPU is measured with no traffic before the publisher starts."""


def ingest_through(
    agents: list[AgentProcess],
    broker: ingest_bench.Broker,
    database_url: str,
    *,
    messages: int,
    devices: int,
    timeout_s: float,
) -> dict[str, Any]:
    """Publish the workload to running agents and measure what they commit."""
    figures = StoredFigures(database_url)
    try:
        idle_before = sum(agent.cpu_s() for agent in agents)
        threading.Event().wait(IDLE_WINDOW_S)  # what the agents spend with no traffic
        cpu_before = sum(agent.cpu_s() for agent in agents)
        idle_cpu_pct = (cpu_before - idle_before) / IDLE_WINDOW_S * 100
        publisher = ingest_bench.Publisher(
            broker, messages=messages, devices=devices, prefix="iot", timeout_s=timeout_s
        )
        try:
            sent = publisher.result(timeout=timeout_s + 30)
        finally:
            publisher.kill()
        completed = True
        try:
            wait_until(
                lambda: figures.counters()["stored_messages"] >= messages,
                timeout_s,
                f"{messages} messages stored by {len(agents)} agent(s)",
            )
        except TimeoutError:
            completed = False
        cpu = sum(agent.cpu_s() for agent in agents) - cpu_before
        last_commit = figures.last_commit_s()
        stored = figures.messages()
        counters = figures.counters()
        rows = figures.readings()
    finally:
        figures.close()
    elapsed = (last_commit - sent["first_publish"]) if completed and last_commit else 0.0
    return {
        "messages_per_s": round(messages / elapsed) if elapsed > 0 else 0,
        "cpu_us_per_message": round(cpu / messages * 1e6, 1),
        "lost": messages - stored,
        "duplicated": max(0, counters["stored_messages"] - messages),
        "completed": completed,
        "idle_cpu_pct": round(idle_cpu_pct, 1),
        "mean_batch": round(counters["received"] / max(1, counters["batches"]), 1),
        "rows": rows,
        "publisher_cpu_us_per_message": round(sent["cpu_s"] / messages * 1e6, 1),
    }


def measure_agents(
    count: int,
    directory: Path,
    *,
    database_url: str,
    share_group: str | None,
    messages: int,
    devices: int,
    timeout_s: float,
    failover: JobLocks | None = None,
) -> dict[str, Any]:
    """One agent count on its own broker; with ``failover``, the leader is killed after."""
    directory.mkdir(parents=True, exist_ok=True)
    with (
        ingest_bench.mosquitto(directory) as broker,
        agent_cluster(
            directory,
            database_url=database_url,
            mqtt_urls=[f"mqtt://{broker.host}:{broker.port}"],
            agents=count,
            share_group=share_group,
        ) as agents,
    ):
        result = ingest_through(
            agents,
            broker,
            database_url,
            messages=messages,
            devices=devices,
            timeout_s=timeout_s,
        )
        if failover is not None:
            result["failover"] = measure_failover(
                agents, database_url, failover, timeout_s=timeout_s
            )
    return result


def run(
    *,
    agents: Sequence[int] = (1, 2, 3),
    messages: int = 20_000,
    devices: int = 50,
    paho_messages: int | None = None,
    server_url: str = DEFAULT_PG_SERVER,
    timeout_s: float = 120.0,
    workdir: Path | None = None,
    job_locks: JobLocks | None = None,
) -> dict[str, Any]:
    """One run of every phase; returns the JSON object ``warden bench scale`` prints.
    ``failover_s`` is measured with the largest agent count (2 or more) when ``job_locks``
    says how the election names its locks."""
    counts = sorted(set(agents))
    if not counts or counts[0] < 1 or messages < 1 or devices < 1:
        raise ValueError("need at least one agent count of 1 or more, 1 message and 1 device")
    by_count: dict[str, dict[str, Any]] = {}
    failover: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory(prefix="warden-bench-scale-", dir=workdir) as tmp:
        directory = Path(tmp)
        (directory / "paho").mkdir()
        with ingest_bench.mosquitto(directory / "paho") as broker:
            paho = ingest_bench.paho_limit(
                broker, messages=paho_messages or messages, devices=devices, timeout_s=timeout_s
            )
        sqlite_dir = directory / "sqlite"
        sqlite = measure_agents(
            1,
            sqlite_dir,
            database_url=f"sqlite:///{sqlite_dir / 'warden.db'}",
            share_group=None,
            messages=messages,
            devices=devices,
            timeout_s=timeout_s,
        )
        for count in counts:
            with fresh_pg_database(server_url) as database_url:
                figures = measure_agents(
                    count,
                    directory / f"pg-{count}",
                    database_url=database_url,
                    share_group="warden",
                    messages=messages,
                    devices=devices,
                    timeout_s=timeout_s,
                    failover=job_locks if count == counts[-1] and count > 1 else None,
                )
            failover = figures.pop("failover", failover)
            by_count[str(count)] = figures
    return {
        "benchmark": "scale",
        "messages": messages,
        "devices": devices,
        "agents": counts,
        "messages_per_s": _per_count(by_count, "messages_per_s"),
        "cpu_us_per_message": _per_count(by_count, "cpu_us_per_message"),
        "lost": _per_count(by_count, "lost"),
        "duplicated": _per_count(by_count, "duplicated"),
        "completed": _per_count(by_count, "completed"),
        "idle_cpu_pct": _per_count(by_count, "idle_cpu_pct"),
        "mean_batch": _per_count(by_count, "mean_batch"),
        "failover_s": failover["failover_s"] if failover else None,
        "failover": failover,
        "sqlite": sqlite,
        "paho_limit_per_s": paho["paho_limit_per_s"],
        "paho_cpu_us_per_message": paho["paho_cpu_us_per_message"],
        "publisher_cpu_us_per_message": _per_count(by_count, "publisher_cpu_us_per_message"),
        "cpus": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _per_count(by_count: dict[str, dict[str, Any]], key: str) -> dict[str, Any]:
    return {count: figures[key] for count, figures in by_count.items()}
