"""The simulator against the collector: what the fleet says it sent is what is stored."""

from __future__ import annotations

import sqlite3

from simulator import Fleet, FleetConfig
from tests.collectors.conftest import wait_until


def stored_measurements(db_path) -> int:
    """Readings the devices sent (derived power series are Warden's own, left out)."""
    with sqlite3.connect(db_path) as raw:
        return raw.execute(
            "SELECT count(*) FROM reading JOIN series ON series.id = reading.series_id "
            "WHERE series.metric NOT IN ('power_dc', 'power_ac')"
        ).fetchone()[0]


def test_what_the_fleet_sent_is_what_is_stored(agent, agent_core, broker):
    fleet = Fleet(FleetConfig(brokers=[broker.url], preset="home", rate=50, seed=7))
    fleet.start()
    try:
        assert fleet.wait_connected(10)
        wait_until(
            lambda: agent.writer.counters.stored_messages >= 60,
            timeout=30,
            what="a few seconds of traffic",
        )
    finally:
        fleet.stop()
    sent = fleet.summary().totals
    expected = sent.measurements + sent.data_values
    db_path = agent_core.db.engine.url.database
    wait_until(
        lambda: stored_measurements(db_path) >= expected and agent.writer.idle.is_set(),
        what="the writer to drain",
    )
    assert stored_measurements(db_path) == expected
    assert agent.writer.counters.dead_letters == {}
    assert sent.telemetry_messages > 0
    assert sent.data_messages > 0
    with sqlite3.connect(db_path) as raw:
        registered = {row[0] for row in raw.execute("SELECT id FROM device")}
    assert registered == set(fleet.device_ids)
