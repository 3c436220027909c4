"""The data dir holds bcrypt hashes, token digests and device keys: whatever the umask the
operator's shell has, `warden` makes it 0700 and every file in it 0600 (issue 15 item 18)."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

PASSWORD = "plenty of words, 12+"


def run_warden(data_dir: Path, *args: str, input: str | None = None) -> None:
    """The installed entry point, started from a shell whose umask lets everyone read."""
    done = subprocess.run(
        [sys.executable, "-m", "warden", *args],
        capture_output=True,
        text=True,
        input=input,
        env={**os.environ, "WARDEN_DATA_DIR": str(data_dir)},
        umask=0o022,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def modes_under(root: Path) -> dict[str, int]:
    found = {".": mode(root)}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = mode(path)
    return found


def test_a_fresh_data_dir_is_private(tmp_path):
    data_dir = tmp_path / "state" / "warden"
    run_warden(data_dir, "users", "add", "ada", "--role", "admin", input=f"{PASSWORD}\n" * 2)
    # A reader holding the database open in WAL mode, as the agent does: SQLite creates
    # the -wal and -shm files with the database file's mode.
    reader = sqlite3.connect(data_dir / "warden.db")
    try:
        reader.execute("SELECT count(*) FROM sqlite_master").fetchone()
        run_warden(data_dir, "users", "list")
        names = {path.name for path in data_dir.iterdir()}
        assert {"warden.db", "warden.db-wal", "warden.db-shm"} <= names
        assert modes_under(data_dir) == {
            ".": 0o700,
            **dict.fromkeys(names, 384),
        }
    finally:
        reader.close()


def test_a_data_dir_left_readable_is_made_private(tmp_path):
    """What an older version (or a copy made with a loose umask) left behind."""
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    run_warden(data_dir, "devices", "list")
    (data_dir / "warden.db").chmod(0o644)
    sessions = data_dir / "nicegui"
    sessions.mkdir(mode=0o755)
    sessions.chmod(0o755)
    (sessions / "storage-user-1.json").write_text("{}")
    (sessions / "storage-user-1.json").chmod(0o644)
    (data_dir / "warden.log").write_text("")
    (data_dir / "warden.log").chmod(0o664)
    data_dir.chmod(0o755)

    run_warden(data_dir, "devices", "list")

    assert modes_under(data_dir) == {
        ".": 0o700,
        "warden.db": 0o600,
        "nicegui": 0o700,
        "nicegui/storage-user-1.json": 0o600,
        "warden.log": 0o600,
    }
