"""``warden`` through its real entry point, for the playbook tests."""

from __future__ import annotations

import pytest

from tests.cli.conftest import Warden


@pytest.fixture
def warden(data_dir):
    return Warden(data_dir)
