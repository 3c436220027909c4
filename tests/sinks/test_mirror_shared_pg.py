"""Two agents' InfluxDB mirrors draining one PostgreSQL outbox at the same time, against a
real server speaking InfluxDB's write API: each batch is claimed until it is written and
deleted, so every stored reading arrives exactly once and nothing is left behind."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from collectors.sinks.influx_mirror import InfluxMirror
from core.config import load_settings
from core.runtime import open_core
from tests.sinks.test_influx_mirror import _drain, _pending, _samples, _send

pytestmark = pytest.mark.postgres


def test_two_mirrors_on_one_outbox_deliver_every_reading_once(
    tmp_path: Path, pg_url: str, victoria_factory: Any
) -> None:
    victoria = victoria_factory()
    cores = [
        open_core(
            load_settings(
                data_dir=tmp_path / name,
                database_url=pg_url,
                influx_url=victoria.url,
                influx_batch_points=100,
            )
        )
        for name in ("agent-a", "agent-b")
    ]
    try:
        stored = _send(cores[0], 200)
        sinks = [InfluxMirror(core.db, core.clock, core.settings) for core in cores]
        start = threading.Barrier(len(sinks))
        failures: list[BaseException] = []

        def drain(sink: InfluxMirror) -> None:
            start.wait(timeout=30)
            try:
                _drain(sink)
            except BaseException as exc:  # reported by the test, not lost in a thread
                failures.append(exc)

        threads = [threading.Thread(target=drain, args=(sink,)) for sink in sinks]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert not failures
        assert all(sink.state.sent > 0 for sink in sinks), "both mirrors took a share"
        assert _pending(cores[0]) == 0
        assert _samples(victoria) == stored
        # Written once: the points the two mirrors sent add up to the readings stored (the
        # server would absorb a batch written twice; the mirrors' counts would not).
        assert sum(sink.state.sent for sink in sinks) == stored
        for sink in sinks:
            sink.close()
    finally:
        for core in cores:
            core.close()
