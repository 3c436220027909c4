"""On PostgreSQL a batch is judged only while its devices' locks are held: a writer whose
device another agent is judging waits (visibly, in ``pg_locks``) and acknowledges nothing
until that agent's transaction ends."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from core.db import Database
from core.services.device_seq import LOCK_SPACE, lock_devices
from tests.cluster.agents import WAIT_S, Countdown, make_writer, submit
from tests.cluster.seq_script import ScriptedDevice
from tests.collectors.conftest import wait_until

pytestmark = pytest.mark.postgres

WAITING = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = :space AND NOT granted"
)


def test_a_writer_waits_for_the_device_another_agent_is_judging(pg_url):
    Database(pg_url).migrate()
    other_agent = Database(pg_url)
    device = ScriptedDevice("meter-1", random.Random(1))
    writer = make_writer(pg_url, "agent-a")
    writer.start()
    countdown = Countdown(1)
    try:
        with other_agent.writer() as session:
            lock_devices(session=session, device_ids=["meter-1"])
            submit(writer, [device.telemetry(0)], countdown)
            with other_agent.reader() as watcher:
                wait_until(
                    lambda: watcher.execute(WAITING, {"space": LOCK_SPACE}).scalar_one() == 1,
                    what="the writer to wait for the device's lock",
                )
            assert not countdown.wait(0)  # nothing acknowledged while the other agent judges
        assert countdown.wait(WAIT_S)  # its commit ended the wait
    finally:
        writer.stop()
        other_agent.dispose()
