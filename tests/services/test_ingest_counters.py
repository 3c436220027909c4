"""Each agent sharing a PostgreSQL database keeps its own ingest counters; readers get one
sum in the shape of one writer's counts."""

from __future__ import annotations

from core.services.ingest_counters import (
    COUNTERS_KEY,
    agent_counters_key,
    load_counters,
    sum_counters,
)
from core.services.runtime import upsert_setting


def test_counts_add_up_reasons_per_reason_brokers_joined_and_the_latest_time():
    first = {
        "received": 10,
        "dead_letters": {"not_json": 2},
        "queue_depth": 3,
        "brokers": [{"url": "mqtt://a"}],
        "at_ms": 1_000,
    }
    second = {
        "received": 5,
        "dead_letters": {"not_json": 1, "too_large": 4},
        "queue_depth": 0,
        "brokers": [{"url": "mqtt://b"}],
        "at_ms": 2_000,
    }
    assert sum_counters([first, second]) == {
        "received": 15,
        "dead_letters": {"not_json": 3, "too_large": 4},
        "queue_depth": 3,
        "brokers": [{"url": "mqtt://a"}, {"url": "mqtt://b"}],
        "at_ms": 2_000,
    }


def test_readers_sum_every_agents_key_and_a_writer_reads_its_own(any_core):
    now = any_core.clock.now()
    with any_core.db.writer() as session:
        upsert_setting(session=session, key=COUNTERS_KEY, value={"received": 1}, now=now)
        for name, received in (("north", 10), ("south", 100)):
            key = agent_counters_key(name)
            upsert_setting(session=session, key=key, value={"received": received}, now=now)
        upsert_setting(
            session=session, key="ingest.http.counters", value={"received": 1000}, now=now
        )
    with any_core.db.reader() as session:
        assert load_counters(session=session) == {"received": 111}
        assert load_counters(session=session, key=agent_counters_key("south")) == {"received": 100}
