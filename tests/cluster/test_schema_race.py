"""Agents deployed together start together: on a new PostgreSQL database each one finds no
schema and migrates. One creates the tables while the others wait their turn and find them
current; before, all but one failed on PostgreSQL's own catalog (duplicate type names)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from benchmarks.agent_cluster import REPO

pytestmark = pytest.mark.postgres


def test_three_processes_migrating_one_new_database_at_once_all_succeed(pg_url: str) -> None:
    code = f"from core.db import Database; Database({pg_url!r}).migrate()"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(3)
    ]
    failures = []
    for process in processes:
        _out, err = process.communicate(timeout=120)
        if process.returncode != 0:
            failures.append(err.decode(errors="replace")[-2000:])
    assert failures == []
