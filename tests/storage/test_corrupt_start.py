"""A database file SQLite cannot read, met at start through the command line: moved aside
with a timestamp, a fresh database made, and a finding naming the last good backup."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.backups import create_sqlite_backup
from core.config import load_settings
from core.runtime import open_core
from tests.factories import FakeClock, make_device


def warden(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WARDEN_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "warden", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def corrupt(path: Path) -> None:
    with path.open("r+b") as handle:
        handle.write(b"this is not what SQLite wrote here" * 3)


def test_a_corrupt_database_is_moved_aside_and_the_finding_names_the_last_good_backup(
    data_dir: Path,
) -> None:
    settings = load_settings(data_dir=data_dir)
    core = open_core(settings, clock=FakeClock())
    with core.db.writer() as session:
        make_device(session, id="meter-1")
    backup = create_sqlite_backup(
        db_path=data_dir / "warden.db",
        directory=data_dir / "backups",
        now=core.clock.now(),
        kind="manual",
        version="test",
    )
    core.close()
    corrupt(data_dir / "warden.db")

    listed = warden(data_dir, "findings", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (finding,) = json.loads(listed.stdout)
    assert finding["rule_id"] == "storage.database-recovered"
    assert finding["severity"] == "critical"
    assert backup.manifest.name in finding["summary"]
    assert f"warden backup restore {backup.manifest.name}" in finding["summary"]
    (aside,) = data_dir.glob("warden.db.corrupt-*")
    assert aside.read_bytes().startswith(b"this is not what SQLite wrote")
    # The fresh database works (and no longer holds the old device).
    devices = warden(data_dir, "devices", "list", "--json")
    assert devices.returncode == 0, devices.stderr
    assert "meter-1" not in devices.stdout


def test_without_a_backup_the_finding_says_none_was_found(data_dir: Path) -> None:
    open_core(load_settings(data_dir=data_dir)).close()
    corrupt(data_dir / "warden.db")
    listed = warden(data_dir, "findings", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (finding,) = json.loads(listed.stdout)
    assert "No backup that verifies was found" in finding["summary"]
