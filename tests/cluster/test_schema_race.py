"""Agents deployed together start together: on a new PostgreSQL database each one finds no
schema and migrates. One creates the tables while the others wait their turn and find them
current; before, all but one failed on PostgreSQL's own catalog (duplicate type names)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.agent_cluster import REPO

pytestmark = pytest.mark.postgres


def test_three_processes_migrating_one_new_database_at_once_all_succeed(
    pg_url: str, tmp_path: Path
) -> None:
    code = f"from core.db import Database; Database({pg_url!r}).migrate()"
    assert _failures(code, processes=3, data_dir=tmp_path) == []


def _failures(code: str, *, processes: int, data_dir: Path) -> list[str]:
    """Run ``code`` in that many Python processes at once; the stderr of each that failed."""
    started = [
        subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "WARDEN_DATA_DIR": str(data_dir / str(n))},
        )
        for n in range(processes)
    ]
    failures = []
    for process in started:
        _out, err = process.communicate(timeout=120)
        if process.returncode != 0:
            failures.append(err.decode(errors="replace")[-2000:])
    return failures
