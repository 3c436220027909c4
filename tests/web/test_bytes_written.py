"""/metrics carries the agent's own bytes written, read from its /proc/self/io."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from core.process_io import WriteRate, bytes_written
from tests.web.test_ops import _app, _samples


def test_the_agent_bytes_written_gauge_follows_real_writes(core, tmp_path: Path) -> None:
    if bytes_written() is None:
        pytest.skip("this kernel has no per-process I/O accounting (/proc/self/io)")
    rate = WriteRate()
    agent = SimpleNamespace(
        collector=SimpleNamespace(broker_states=list),
        state=lambda: {"brokers": [], "queue_depth": 0, **rate.figures()},
    )
    with TestClient(_app(core, agent)) as client:
        before = _samples(client.get("/metrics").text)[("warden_agent_bytes_written", ())]
        with (tmp_path / "blob").open("wb") as blob:  # 4 MiB really sent to the disk
            blob.write(b"x" * (4 << 20))
            blob.flush()

            os.fsync(blob.fileno())
        after = _samples(client.get("/metrics").text)[("warden_agent_bytes_written", ())]
    assert after - before >= 4 << 20
