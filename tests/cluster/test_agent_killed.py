"""An agent killed with -9 in the middle of the stream: nothing lost, nothing stored twice,
its jobs led by the others within the bound, and it rejoins when started again.

Mosquitto keeps a killed member's share queued for its persistent session and never hands
it to another member (docs/mqtt.md); what the agent had received but not committed is
redelivered to it too. So those messages come when the agent rejoins, and the copies it had
already committed are judged duplicates by ``(device, boot, seq)``, never stored again.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import pytest

from benchmarks.agent_cluster import wait_until
from benchmarks.cluster_figures import StoredFigures
from core.db import Database
from core.services.cluster import cluster_status
from tests.cluster.conftest import PHASE_TIMEOUT_S, Publisher, StartCluster, feed
from tests.cluster.workload import build
from tests.conftest import Broker
from warden.agent import HEARTBEAT_S
from warden.agent_jobs import ELECTED_JOBS
from warden.leadership import TAKEOVER_BOUND_S

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(600)]

TAKEOVER_SEEN_S = TAKEOVER_BOUND_S + 2 * HEARTBEAT_S + 10
"""The election's bound, two heartbeats until the agent table shows the new leaders, and
room for a loaded machine."""


def leads_by_alive_agent(url: str) -> dict[str, set[str]]:
    """The jobs each agent said it leads in its last heartbeat (``warden cluster status``)."""
    db = Database(url)
    try:
        with db.reader() as session:
            shown = cluster_status(session=session, now=datetime.now(UTC))
    finally:
        db.dispose()
    return {a.name: set(a.leads) for a in shown.agents if a.state == "alive"}


def _pid_shown(url: str, name: str) -> int | None:
    db = Database(url)
    try:
        with db.reader() as session:
            shown = cluster_status(session=session, now=datetime.now(UTC))
    finally:
        db.dispose()
    return next((a.pid for a in shown.agents if a.name == name), None)


def test_an_agent_killed_mid_stream_loses_nothing_and_its_jobs_move(
    pg_url: str,
    broker_factory: Callable[..., Broker],
    start_cluster: StartCluster,
    publisher_for: Callable[[Sequence[Broker]], Publisher],
) -> None:
    workload = build(devices=100, per_device=60)
    first, stream, *after = workload.phases
    expected = workload.expected
    brokers = [broker_factory(), broker_factory()]
    agents = start_cluster(3, pg_url, brokers)
    publisher = publisher_for(brokers)
    figures = StoredFigures(pg_url)
    try:
        feed([first], figures, publisher)

        def all_jobs_led_by_three() -> bool:
            leads = leads_by_alive_agent(pg_url)
            return len(leads) == 3 and set().union(*leads.values()) == ELECTED_JOBS

        wait_until(
            all_jobs_led_by_three,
            PHASE_TIMEOUT_S,
            lambda: f"every job led by one of three agents: {leads_by_alive_agent(pg_url)}",
        )
        leads = leads_by_alive_agent(pg_url)
        victim = next(a for a in agents if a.name == max(leads, key=lambda n: len(leads[n])))
        its_jobs = leads[victim.name]

        publishing = threading.Thread(target=publisher.publish, args=(stream,))
        publishing.start()
        wait_until(
            lambda: figures.counters()["stored_messages"] >= len(first) + len(stream) // 4,
            PHASE_TIMEOUT_S,
            lambda: f"a quarter of the stream stored: {figures.counters()}",
        )
        victim.kill()
        committed_by_victim = figures.received_by_agent().get(victim.name, 0)

        def jobs_moved() -> bool:
            alive = leads_by_alive_agent(pg_url)
            return its_jobs <= set().union(
                *(jobs for name, jobs in alive.items() if name != victim.name)
            )

        wait_until(
            jobs_moved,
            TAKEOVER_SEEN_S,
            lambda: (
                f"{victim.name}'s jobs {sorted(its_jobs)} led by another agent: "
                f"{leads_by_alive_agent(pg_url)}"
            ),
        )
        publishing.join(PHASE_TIMEOUT_S)
        assert not publishing.is_alive()

        victim.start()  # rejoins: its session's share and unacknowledged messages come back
        victim.wait_ready(PHASE_TIMEOUT_S)
        # Received counts grow by the redelivered copies too, so what is awaited is what was
        # stored: every message of the stream, before the reboots may be sent.
        unique = len(first) + len(stream)
        wait_until(
            lambda: figures.counters()["stored_messages"] >= unique,
            PHASE_TIMEOUT_S,
            lambda: f"the stream's {unique} messages stored: {figures.counters()}",
        )
        # the share queued for the killed agent's session came to it when it rejoined
        assert figures.received_by_agent()[victim.name] > committed_by_victim
        feed(after, figures, publisher, delivered_before=figures.counters()["received"])
        everything = expected.messages + expected.statuses
        wait_until(
            lambda: figures.counters()["stored_messages"] >= everything,
            PHASE_TIMEOUT_S,
            lambda: f"all {everything} messages stored: {figures.counters()}",
        )

        assert figures.messages() == expected.messages  # nothing lost
        assert figures.readings() == expected.rows
        counters = figures.counters()
        # nothing stored twice: the redelivered copies are counted as duplicates instead
        assert counters["stored_messages"] == expected.messages + expected.statuses
        assert counters["duplicates"] >= expected.duplicates
        assert counters["missing"] == expected.missing
        assert {d: s.boot for d, s in figures.seq_states().items() if s.boot} == expected.boots

        # Rejoined: its new process beats, and every job has a leader again (a job being
        # handed back to it is free for at most one election round, so this is awaited).
        wait_until(
            lambda: all_jobs_led_by_three() and _pid_shown(pg_url, victim.name) == victim.pid,
            TAKEOVER_SEEN_S,
            lambda: f"{victim.name} back and every job led: {leads_by_alive_agent(pg_url)}",
        )
        shown = json.loads(
            subprocess.run(
                [sys.executable, "-m", "warden", "cluster", "status", "--json"],
                env=victim.config.environment(),
                capture_output=True,
                check=True,
                timeout=60,
            ).stdout
        )
        back = next(a for a in shown["agents"] if a["name"] == victim.name)
        assert back["state"] == "alive"
        assert back["pid"] == victim.pid  # the new process's heartbeat, not the killed one's
        assert set(shown["leaders"]) <= ELECTED_JOBS
    finally:
        figures.close()
