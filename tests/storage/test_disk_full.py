"""A full disk under a running agent and a real broker: ingest stops acknowledging, a
health finding opens, and everything resumes, nothing lost, once space returns (root: the
data dir is a small tmpfs of its own)."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import load_settings
from core.runtime import open_core
from tests.collectors.conftest import QUIET_SYSLOG, wait_until
from tests.collectors.test_delivery import count, publisher, telemetry
from warden.agent import Agent

NO_MOUNT = "mounting a tmpfs is not permitted here (needs root)"
MESSAGES = 2000  # 20 000 measurements: megabytes of rows, far more than the disk has left


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mountpoint = tmp_path / "small"
    mountpoint.mkdir()
    if os.geteuid() != 0:
        pytest.skip(NO_MOUNT)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"{NO_MOUNT}: {mounted.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)


def fill(directory: Path) -> Path:
    """Take every free byte of the disk; the file is deleted to give the space back."""
    filler = directory / "filler"
    block = bytes(64 * 1024)
    with filler.open("wb") as out:
        try:
            while True:
                out.write(block)
                out.flush()
        except OSError as exc:
            if exc.errno != errno.ENOSPC:
                raise
    return filler


def finding_status(db_path: Path) -> str | None:
    try:
        with sqlite3.connect(db_path) as raw:
            row = raw.execute(
                "SELECT status FROM finding WHERE rule_id = 'health.warden-store-full'"
            ).fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def test_a_full_disk_pauses_ingest_opens_a_finding_and_resumes_losing_nothing(
    small_disk: Path, broker
) -> None:
    settings = load_settings(
        data_dir=small_disk,
        mqtt_url=broker.url,
        mqtt_client_id="warden-disk-full",
        disk_reserve_mb=2,
        **QUIET_SYSLOG,
    )
    core = open_core(settings)
    agent = Agent(core)
    agent.start()
    db_path = small_disk / "warden.db"
    client = publisher(broker, "fleet")
    try:
        wait_until(
            lambda: all(b["connected"] for b in agent.collector.broker_states()),
            what="the collector to connect",
        )
        assert (small_disk / "space-reserve").stat().st_size == 2 * 1024 * 1024
        filler = fill(small_disk)
        infos = [
            client.publish("iot/dc-meter-001/telemetry", telemetry("dc-meter-001", seq), qos=1)
            for seq in range(MESSAGES)
        ]
        for info in infos:
            info.wait_for_publish(30)  # the broker has them all
        wait_until(lambda: finding_status(db_path) == "open", timeout=10, what="the finding")
        assert agent.writer.disk_full
        stored = count(db_path, "SELECT count(*) FROM reading")
        assert stored < MESSAGES * 10  # the disk really stopped the writer
        # Memory stays bounded: what the writer holds is its bounded queue, the rest waits
        # unacknowledged at the broker.
        assert agent.writer.queue_depth <= agent.writer._queue.maxsize

        filler.unlink()  # the operator frees space; no restart
        wait_until(
            lambda: count(db_path, "SELECT count(*) FROM reading") == MESSAGES * 10,
            timeout=60,
            what="every measurement stored after space returned",
        )
        wait_until(lambda: finding_status(db_path) == "resolved", timeout=20, what="resolved")
        assert not agent.writer.disk_full
        assert (small_disk / "space-reserve").exists()  # put back for the next time
    finally:
        client.loop_stop()
        client.disconnect()
        agent.stop()
        core.close()
