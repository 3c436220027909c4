"""Three agents on one PostgreSQL database, in one share group on two brokers, judge a
fleet's traffic exactly as one agent does: every message stored once, the same duplicates,
missing seqs and boots per device.

The reference is one agent alone on SQLite (today's single-process judge) fed the same
phases through two brokers of its own. What is compared is what does not depend on which
agent judged which copy first: the stored rows and messages, and per device ``boot``,
``last``, ``duplicates``, ``missing`` and ``suspects``. The gap *events* (``gaps``) are not
compared: a seq that arrives after the one following it opens a gap event that its own late
arrival then fills (``missing`` goes back down, the event stays), and across agents the
arrival order inside a phase is the brokers' and the agents' to choose.

Size: 50 000 telemetry messages from 200 devices (and 3 900 copies and 50 statuses) in each
run, the issue's figure; measured here it keeps the test within about a minute on two
cores (docs/scaling.md).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from benchmarks.agent_cluster import AgentProcess
from benchmarks.cluster_figures import SeqFigures, StoredFigures
from tests.cluster.conftest import Publisher, StartCluster, feed
from tests.cluster.workload import Workload, build
from tests.conftest import Broker

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(600)]

DEVICES = 200
PER_DEVICE = 50


def run_cluster(
    agents: int,
    database_url: str,
    workload: Workload,
    broker_factory: Callable[..., Broker],
    start_cluster: StartCluster,
    publisher_for: Callable[[Sequence[Broker]], Publisher],
) -> tuple[StoredFigures, list[AgentProcess]]:
    """A run on brokers of its own (no MQTT session of another run is resumed)."""
    brokers = [broker_factory(), broker_factory()]
    started = start_cluster(agents, database_url, brokers)
    figures = StoredFigures(database_url)
    feed(workload.phases, figures, publisher_for(brokers))
    return figures, started


def test_three_agents_judge_a_fleet_exactly_as_one_agent_does(
    pg_url: str,
    tmp_path: Path,
    broker_factory: Callable[..., Broker],
    start_cluster: StartCluster,
    publisher_for: Callable[[Sequence[Broker]], Publisher],
) -> None:
    workload = build(devices=DEVICES, per_device=PER_DEVICE)
    expected = workload.expected
    args = (workload, broker_factory, start_cluster, publisher_for)
    alone, _ = run_cluster(1, f"sqlite:///{tmp_path / 'alone.db'}", *args)
    shared, _ = run_cluster(3, pg_url, *args)
    try:
        for figures in (alone, shared):
            assert figures.messages() == expected.messages
            assert figures.readings() == expected.rows
            counters = figures.counters()
            assert counters["received"] == expected.copies
            # each exactly once
            assert counters["stored_messages"] == expected.messages + expected.statuses
            assert counters["duplicates"] == expected.duplicates
            assert counters["missing"] == expected.missing
        received = shared.received_by_agent()
        assert sorted(received) == ["a1", "a2", "a3"]
        assert all(count > 0 for count in received.values()), received  # all three shared

        one, three = alone.seq_states(), shared.seq_states()
        assert len(one) == DEVICES
        assert three == one
        assert sum(s.duplicates for s in three.values()) == expected.duplicates
        assert sum(s.missing for s in three.values()) == expected.missing
        assert {d: s.boot for d, s in three.items() if s.boot} == expected.boots
        assert not [d for d, s in three.items() if s.suspects]
        assert any(_wrapped(s) for s in three.values())
    finally:
        alone.close()
        shared.close()


def _wrapped(state: SeqFigures) -> bool:
    """A device that counted through 2³²-1 and goes on from a small seq."""
    return state.boot == 0 and state.last is not None and state.last < 1000
