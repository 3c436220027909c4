"""Leader election on the real PostgreSQL: several agents' elections on one database, each
elected job run once per period across them, a dead leader's jobs taken over, and the dead
agent back as a standby that gets its share again. The agents are in-process elections
driven round by round, so the test counts runs per period without waiting on time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import create_engine, text

from warden.agent_jobs import ELECTED_JOBS
from warden.leadership import AdvisoryLocks, application_name

pytestmark = pytest.mark.postgres

JOBS = sorted(ELECTED_JOBS)


@pytest.fixture
def elections(pg_url: str) -> Iterator[Callable[[str], AdvisoryLocks]]:
    made: list[AdvisoryLocks] = []

    def make(name: str) -> AdvisoryLocks:
        made.append(AdvisoryLocks(pg_url, JOBS, agent=name))
        return made[-1]

    yield make
    for election in made:
        election.close()


def run_period(agents: list[AdvisoryLocks], runs: Counter[tuple[int, str]], period: int) -> None:
    """One period: every agent's scheduler fires every job once; the gates decide."""
    for agent in agents:
        for job in JOBS:
            agent.gate(job, lambda job=job: runs.update([(period, job)]))()


def test_each_elected_job_runs_exactly_once_per_period_across_three_agents(
    elections: Callable[[str], AdvisoryLocks],
) -> None:
    agents = [elections(name) for name in ("agent-a", "agent-b", "agent-c")]
    runs: Counter[tuple[int, str]] = Counter()
    periods = 12
    for period in range(periods):
        for agent in agents:
            agent.elect()
        run_period(agents, runs, period)

    assert max(runs.values()) == 1, "a job ran on two agents in one period"
    settled = range(periods - 4, periods)
    assert all(runs[(period, job)] == 1 for period in settled for job in JOBS)
    leads = [set(agent.leads()) for agent in agents]
    assert set.union(*leads) == set(JOBS)
    assert sum(len(held) for held in leads) == len(JOBS), "a lock held twice"
    # The jobs spread: 10 jobs over 3 agents is 4 + 3 + 3, not 10 on the first one.
    assert sorted(len(held) for held in leads) == [3, 3, 4]


def terminate_session(pg_url: str, agent: str) -> None:
    """The leader's session dies as when its process is killed or its host cut off."""
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        ended = connection.execute(
            text(
                "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                "WHERE application_name = :n AND datname = current_database()"
            ),
            {"n": application_name(agent)},
        ).all()
    admin.dispose()
    assert ended == [(True,)]


def test_a_dead_leaders_jobs_move_to_the_standby_and_it_rejoins_as_standby(
    pg_url: str, elections: Callable[[str], AdvisoryLocks]
) -> None:
    leader, standby = elections("agent-a"), elections("agent-b")
    leader.elect()  # alone: it takes every job
    standby.elect()
    assert leader.leads() == JOBS and standby.leads() == []

    terminate_session(pg_url, "agent-a")
    standby.elect()  # the next round after the death: no waiting for a lease to expire
    assert standby.leads() == JOBS

    ran: list[str] = []
    leader.gate("liveness", lambda: ran.append("liveness"))()
    assert ran == [], "a leader whose session is gone must not run the job"
    assert leader.leads() == []

    # Back as a standby: it takes nothing held, and the other hands over one job a round
    # until the two hold a fair share each.
    leader.elect()
    assert leader.leads() == []
    for _ in range(len(JOBS)):
        standby.elect()
        leader.elect()
    assert len(leader.leads()) == len(standby.leads()) == len(JOBS) // 2
    assert set(leader.leads()).isdisjoint(standby.leads())


def test_a_job_that_only_one_agent_runs_is_adopted_and_kept(
    pg_url: str, elections: Callable[[str], AdvisoryLocks]
) -> None:
    """An agent with MQTT disabled never schedules command delivery: the agent that has
    it takes it whatever its share, and never hands it back to nobody."""
    full = elections("agent-full")
    partial = AdvisoryLocks(pg_url, [j for j in JOBS if j != "commands"], agent="agent-partial")
    try:
        partial.elect()
        full.elect()  # over its share with nothing free but commands, seen free only now
        for _ in range(len(JOBS)):
            partial.elect()
            full.elect()
        assert "commands" in full.leads()
        assert set(full.leads()) | set(partial.leads()) == set(JOBS)
    finally:
        partial.close()


def test_a_clean_stop_hands_every_job_over_at_the_next_round(
    elections: Callable[[str], AdvisoryLocks],
) -> None:
    leaving, staying = elections("agent-a"), elections("agent-b")
    leaving.elect()
    staying.elect()
    leaving.close()
    staying.elect()
    assert staying.leads() == JOBS
