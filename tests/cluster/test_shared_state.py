"""Several agents on one PostgreSQL database judge one fleet's sequence numbers as one
agent would (issue 20): every reading stored exactly once, and duplicates, missing, boots
and suspects per device identical to a single writer fed the same input.

Each agent is an ``IngestWriter`` with its own ``Database`` (its own connections) and name.
The input (``seq_script``) mixes duplicates through a second broker, gaps, out-of-order
arrival, reboots by status and hello, an unannounced restart and a wrap-around.

- Handed over in order (a chunk to one agent, committed, the next chunk to another): even
  the gap events are identical, since the database sees the same order; a writer judging
  against what it remembered instead of the stored state would get this wrong at once.
- Handed out at once (each phase split between agents that commit concurrently, copies of
  one message at two agents): the order-independent figures are identical; gap events
  depend on arrival order and are not compared (see ``seq_script``).
- Agents in separate processes, so the locks are held by different processes.
"""

from __future__ import annotations

import multiprocessing
import random
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from core.db import Database
from core.models import Setting
from core.services.ingest_counters import AGENT_COUNTERS_PREFIX
from tests.cluster import agent_process
from tests.cluster.agents import (
    WAIT_S,
    Countdown,
    make_writer,
    outcome,
    single_writer_outcome,
    submit,
)
from tests.cluster.seq_script import Sent, phases

pytestmark = pytest.mark.postgres

INPUT = phases()


@pytest.fixture(scope="module")
def single(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One writer's outcome on the whole input (SQLite, the one-agent layout)."""
    path: Path = tmp_path_factory.mktemp("single") / "warden.db"
    return single_writer_outcome(f"sqlite:///{path}", INPUT)


@pytest.fixture(scope="module")
def single_with_gap_events(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path: Path = tmp_path_factory.mktemp("single_gaps") / "warden.db"
    single_writer_outcome(f"sqlite:///{path}", INPUT)
    return outcome(f"sqlite:///{path}", with_gap_events=True)


def _agents(pg_url: str, count: int) -> list[Any]:
    Database(pg_url).migrate()
    writers = [make_writer(pg_url, f"agent-{n}") for n in range(count)]
    for writer in writers:
        writer.start()
    return writers


def _agent_counter_keys(pg_url: str) -> list[str]:
    with Database(pg_url).reader() as session:
        return sorted(
            session.exec(
                select(Setting.key).where(col(Setting.key).startswith(AGENT_COUNTERS_PREFIX))
            )
        )


@pytest.mark.parametrize("agents", [2, 3])
@pytest.mark.parametrize("split", ["round_robin", "random"])
def test_agents_taking_turns_judge_exactly_as_one_writer(
    pg_url, single_with_gap_events, agents, split
):
    writers = _agents(pg_url, agents)
    rng = random.Random(agents)
    everything = [m for phase in INPUT for m in phase]
    turn = start = 0
    while start < len(everything):
        chunk = everything[start : start + rng.randint(1, 60)]
        writer = writers[turn % agents if split == "round_robin" else rng.randrange(agents)]
        countdown = Countdown(len(chunk))
        submit(writer, chunk, countdown)
        assert countdown.wait()
        start, turn = start + len(chunk), turn + 1
    for writer in writers:
        writer.stop()
    assert outcome(pg_url, with_gap_events=True) == single_with_gap_events


@pytest.mark.parametrize("agents", [2, 3])
def test_agents_ingesting_at_once_judge_as_one_writer(pg_url, single, agents):
    writers = _agents(pg_url, agents)
    rng = random.Random(agents * 7)
    for phase in INPUT:
        countdown = Countdown(len(phase))
        shares: list[list[Sent]] = [[] for _ in writers]
        for message in phase:
            shares[rng.randrange(agents)].append(message)
        for writer, share in zip(writers, shares, strict=True):
            submit(writer, share, countdown)
        assert countdown.wait()
    for writer in writers:
        writer.stop()
    assert outcome(pg_url) == single
    # Each agent counted what it took under its own key; readers get the sum.
    assert _agent_counter_keys(pg_url) == [
        f"{AGENT_COUNTERS_PREFIX}agent-{n}" for n in range(agents)
    ]


def test_agents_in_separate_processes_judge_as_one_writer(pg_url, single):
    Database(pg_url).migrate()
    context = multiprocessing.get_context("spawn")
    outbox = context.Queue()
    names = ["agent-a", "agent-b"]
    inboxes = {name: context.Queue() for name in names}
    processes = [
        context.Process(target=agent_process.run, args=(pg_url, name, inboxes[name], outbox))
        for name in names
    ]
    for process in processes:
        process.start()
    try:
        rng = random.Random(5)
        for phase in INPUT:
            shares: dict[str, list[tuple[str, bytes, int]]] = {name: [] for name in names}
            for m in phase:
                shares[rng.choice(names)].append((m.topic, m.payload, m.received_ms))
            for name in names:
                inboxes[name].put(shares[name])
            reports = sorted(outbox.get(timeout=WAIT_S) for _ in names)
            assert reports == [(name, True) for name in names]
    finally:
        for name in names:
            inboxes[name].put(None)
        for process in processes:
            process.join(WAIT_S)
    assert [p.exitcode for p in processes] == [0, 0]
    assert outcome(pg_url) == single
