"""Fixtures for the users, tokens and audit tests."""

from __future__ import annotations

import pytest

from core import passwords


@pytest.fixture
def fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cost 4 instead of 12 for tests that hash many passwords (the cost itself is checked
    in test_passwords.py)."""
    monkeypatch.setattr(passwords, "BCRYPT_COST", 4)
