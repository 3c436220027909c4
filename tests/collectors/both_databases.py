"""The running agent of the collector tests on each database in turn, for the modules whose
tests go through the ingest writer: on PostgreSQL it judges under the devices' locks
(several agents may share that database), and the same tests must pass unchanged. A module
takes it with ``agent_core = both_databases.agent_core``."""

from __future__ import annotations

import pytest

from core.config import load_settings
from core.runtime import open_core
from tests.collectors.conftest import QUIET_SYSLOG


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def agent_core(request, data_dir, broker):
    """The agent on each database in turn: on PostgreSQL the writer judges under the
    devices' locks (several agents may share it), and the tests must pass unchanged."""
    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    settings = load_settings(
        data_dir=data_dir,
        mqtt_url=broker.url,
        mqtt_client_id=f"warden-test-{broker.port}",
        database_url=url,
        **QUIET_SYSLOG,
    )
    opened = open_core(settings)
    yield opened
    opened.close()
