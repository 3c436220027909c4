"""Agents starting together on one fresh PostgreSQL database all copy the shipped rule and
playbook packs at start: none fails on a key another just inserted."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core.config import load_settings
from core.runtime import open_core
from core.services.playbooks import PLAYBOOKS
from core.services.rules import RULES
from warden.catalog import sync_catalog

pytestmark = pytest.mark.postgres


def test_three_agents_syncing_the_catalog_at_once_all_start(tmp_path: Path, pg_url: str) -> None:
    cores = [
        open_core(load_settings(data_dir=tmp_path / name, database_url=pg_url))
        for name in ("a", "b", "c")
    ]
    together = threading.Barrier(len(cores))
    failures: list[BaseException] = []

    def start(core: object) -> None:
        together.wait(timeout=30)
        try:
            sync_catalog(core)  # type: ignore[arg-type]
        except BaseException as exc:  # reported by the test, not lost in a thread
            failures.append(exc)

    try:
        threads = [threading.Thread(target=start, args=(core,)) for core in cores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert failures == []
        with cores[0].db.reader() as session:
            assert RULES.list(session=session) and PLAYBOOKS.list(session=session)
    finally:
        for core in cores:
            core.close()
