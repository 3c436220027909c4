"""``warden backup``: a consistent copy made while Warden writes, listed only when complete,
verified against its manifest, and restored only when it verifies and nothing runs."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command

from core.backups import (
    BackupInfo,
    BackupManifest,
    create_sqlite_backup,
    list_backups,
    to_prune,
)
from core.config import load_settings
from core.db import Database, alembic_config, head_revision
from core.runtime import open_core
from tests.cli.conftest import Warden
from tests.collectors.conftest import wait_until
from tests.factories import make_device


def device_ids(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as raw:
        return sorted(r[0] for r in raw.execute("SELECT id FROM device"))


def test_a_backup_made_while_writers_run_verifies_and_restores_what_it_held(data_dir: Path):
    warden = Warden(data_dir)
    core = open_core(load_settings(data_dir=data_dir))
    with core.db.writer() as session:
        make_device(session, id="before-1")
        make_device(session, id="before-2")
    stop = threading.Event()
    written = 0

    def keep_writing() -> None:  # another writer commits all through the backup
        nonlocal written
        while not stop.is_set():
            with core.db.writer() as session:
                make_device(session, id=f"during-{written}")
            written += 1

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        wait_until(lambda: written > 0, what="the other writer to commit")
        made = warden.json("backup", "create")
    finally:
        stop.set()
        writer.join(30)
    name = made["manifest"]["name"]
    assert made["manifest"]["schema_revision"] == head_revision()
    held = made["manifest"]["rows"]["device"]
    assert held >= 2
    (listed,) = warden.json("backup", "list")
    assert listed["manifest"]["name"] == name
    assert warden.json("backup", "verify", name)["rows"]["device"] == held
    with core.db.writer() as session:
        make_device(session, id="after-backup")
    core.close()

    restored = warden("backup", "restore", name, "--yes")
    assert restored.exit_code == 0, restored.output
    ids = device_ids(data_dir / "warden.db")
    assert len(ids) == held and "after-backup" not in ids and "before-1" in ids
    (aside,) = data_dir.glob("warden.db.before-restore-*")
    assert "after-backup" in device_ids(aside)  # the previous database is kept, whole


def test_a_changed_backup_does_not_verify_and_is_never_restored(data_dir: Path):
    warden = Warden(data_dir)
    core = open_core(load_settings(data_dir=data_dir))
    with core.db.writer() as session:
        make_device(session, id="live")
    core.close()
    name = warden.json("backup", "create")["manifest"]["name"]
    with (data_dir / "backups" / name).open("r+b") as handle:
        handle.seek(5000)
        handle.write(b"\xff\x00\xff")
    checked = warden("backup", "verify", name)
    assert checked.exit_code == 1
    assert "sha256 differs" in checked.output
    refused = warden("backup", "restore", name, "--yes")
    assert refused.exit_code != 0
    assert device_ids(data_dir / "warden.db") == ["live"]
    assert not list(data_dir.glob("warden.db.before-restore-*"))


def test_restore_refuses_while_the_agent_runs(data_dir: Path):
    warden = Warden(data_dir)
    open_core(load_settings(data_dir=data_dir)).close()
    name = warden.json("backup", "create")["manifest"]["name"]
    env = {
        **os.environ,
        "WARDEN_DATA_DIR": str(data_dir),
        "WARDEN_DISABLED_COLLECTORS": "mqtt,syslog",
        "WARDEN_LOG_LEVEL": "WARNING",
    }
    agent = subprocess.Popen(
        [sys.executable, "-m", "warden", "agent"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        db_path = data_dir / "warden.db"
        wait_until(lambda: _heartbeat(db_path), timeout=60, what="the agent to publish its state")
        refused = warden("backup", "restore", name, "--yes")
        assert refused.exit_code != 0
        assert "stop Warden first" in refused.output
        assert str(agent.pid) in refused.output
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(60)
    # Stopped (its last state is still fresh, but its process is gone): the restore runs.
    restored = warden("backup", "restore", name, "--yes")
    assert restored.exit_code == 0, restored.output
    assert list(data_dir.glob("warden.db.before-restore-*"))


def _heartbeat(db_path: Path) -> bool:
    try:
        with sqlite3.connect(db_path) as raw:
            return bool(
                raw.execute("SELECT 1 FROM setting WHERE key = 'agent.heartbeat'").fetchone()
            )
    except sqlite3.OperationalError:
        return False


def test_an_older_backup_is_migrated_to_head_when_restored(data_dir: Path):
    old = data_dir / "old.db"
    db = Database(f"sqlite:///{old}")
    with db._write_engine.connect() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
        connection.commit()
    db.dispose()
    backup = create_sqlite_backup(
        db_path=old,
        directory=data_dir / "backups",
        now=datetime(2026, 1, 1, tzinfo=UTC),
        kind="manual",
        version="old",
    )
    assert backup.manifest.schema_revision == "0010"
    open_core(load_settings(data_dir=data_dir)).close()
    restored = Warden(data_dir).json("backup", "restore", backup.manifest.name, "--yes")
    assert restored["revision"] == head_revision() != "0010"


def test_a_backup_killed_with_sigkill_is_never_listed_and_is_swept_by_the_next(
    data_dir: Path,
):
    open_core(load_settings(data_dir=data_dir)).close()
    with sqlite3.connect(data_dir / "warden.db") as raw:  # enough to copy for a while
        raw.execute("CREATE TABLE ballast (b BLOB)")
        raw.executemany("INSERT INTO ballast VALUES (randomblob(65536))", [()] * 3000)  # ~200 MB
    backups = data_dir / "backups"
    backups.mkdir()
    making = subprocess.Popen(
        [sys.executable, "-m", "warden", "backup", "create"],
        env={**os.environ, "WARDEN_DATA_DIR": str(data_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until(
        lambda: list(backups.glob(".partial-*")), timeout=60, what="the backup to start copying"
    )
    making.send_signal(signal.SIGKILL)
    making.wait(30)
    assert list(backups.glob(".partial-*"))  # it really was cut off half-way
    warden = Warden(data_dir)
    assert warden.json("backup", "list") == []
    assert warden("backup", "verify").exit_code != 0  # nothing to verify
    made = warden.json("backup", "create")
    assert [b["manifest"]["name"] for b in warden.json("backup", "list")] == [
        made["manifest"]["name"]
    ]
    assert not list(backups.glob(".partial-*"))


def _info(day: datetime, kind: str = "scheduled") -> BackupInfo:
    name = f"warden-{day:%Y%m%dT%H%M%S}000Z.db"
    return BackupInfo(
        path=Path(name),
        manifest=BackupManifest(
            name=name,
            engine="sqlite",
            kind=kind,  # type: ignore[arg-type]
            created_at=day,
            schema_revision="x",
            rows={},
            size=1,
            sha256="0",
            warden_version="t",
        ),
    )


def test_retention_keeps_the_newest_of_n_days_and_m_weeks_and_every_manual_backup():
    start = datetime(2026, 3, 2, 3, 30, tzinfo=UTC)  # a Monday
    daily = [_info(start + timedelta(days=d)) for d in range(40)]
    extra_same_day = _info(start + timedelta(days=39, hours=2))
    manual = _info(start, kind="manual")
    removed = to_prune([*daily, extra_same_day, manual], keep_daily=7, keep_weekly=3)
    kept = {b.manifest.name for b in [*daily, extra_same_day]} - {b.manifest.name for b in removed}
    newest_days = {b.manifest.created_at.date() for b in daily[-7:]}
    kept_days = sorted(datetime.strptime(n[7:15], "%Y%m%d").date() for n in kept)
    assert newest_days <= set(kept_days)
    assert len(kept) == 7 + 3
    assert extra_same_day.manifest.name in kept  # the newest of its day
    assert manual not in removed
    weekly = [d for d in kept_days if d not in newest_days]
    assert len({d.isocalendar()[1] for d in weekly}) == 3


def test_the_scheduled_backup_makes_a_backup_and_prunes(data_dir: Path):
    from tests.factories import FakeClock
    from warden.backup import scheduled_backup

    settings = load_settings(data_dir=data_dir, backup_keep_daily=2, backup_keep_weekly=0)
    open_core(settings).close()
    clock = FakeClock()
    for _day in range(4):
        scheduled_backup(settings, clock)
        clock.advance(86_400)
    kept = list_backups(data_dir / "backups")
    assert len(kept) == 2
    assert all(b.manifest.kind == "scheduled" for b in kept)
    assert (
        len(
            json.loads(kept[0].path.with_name(kept[0].path.name + ".manifest.json").read_text())[
                "rows"
            ]
        )
        > 10
    )


def test_the_agent_schedules_one_daily_backup_at_a_time(data_dir: Path):
    from warden.agent import Agent

    settings = load_settings(
        data_dir=data_dir, backup_schedule="04:15", disabled_collectors="mqtt,syslog"
    )
    core = open_core(settings)
    try:
        scheduler = Agent(core).scheduler
        scheduler.start(paused=True)  # the job defaults apply once it runs
        job = scheduler.get_job("backup")
        scheduler.shutdown(wait=False)
        assert job is not None
        assert job.coalesce and job.max_instances == 1
        assert "hour='4', minute='15'" in str(job.trigger)
        unscheduled = Agent(open_core(load_settings(data_dir=data_dir, backup_schedule="")))
        assert unscheduled.scheduler.get_job("backup") is None
    finally:
        core.close()


@pytest.mark.postgres
def test_postgresql_backups_are_dumps_verified_in_a_scratch_database(data_dir: Path, pg_url):
    settings = load_settings(data_dir=data_dir, database_url=pg_url)
    core = open_core(settings)
    with core.db.writer() as session:
        make_device(session, id="pg-before")
    core.close()
    warden = Warden(data_dir)
    env = {"WARDEN_DATABASE_URL": pg_url}
    made = warden("backup", "create", "--json", env=env)
    assert made.exit_code == 0, made.output
    manifest = json.loads(made.stdout)["manifest"]
    assert manifest["engine"] == "postgresql" and manifest["rows"]["device"] == 1
    checked = warden("backup", "verify", manifest["name"], "--json", env=env)
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout)["rows"]["device"] == 1
    core = open_core(settings)
    with core.db.writer() as session:
        make_device(session, id="pg-after")
    core.close()
    restored = warden("backup", "restore", manifest["name"], "--yes", "--json", env=env)
    assert restored.exit_code == 0, restored.output
    core = open_core(settings)
    try:
        with core.db.reader() as session:
            from sqlalchemy import text

            ids = session.execute(text("SELECT id FROM device")).scalars().all()
    finally:
        core.close()
    assert ids == ["pg-before"]
    # What was there before the restore was dumped first and is listed.
    assert len(warden.json("backup", "list")) == 2
