"""Tests of core.syslog. Recorded OpenWRT-style lines, one per file, live in ``fixtures/``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ms(iso: str) -> int:
    """Epoch ms of ``YYYY-MM-DDTHH:MM:SSZ``, computed without core.syslog."""
    moment = datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    return int(moment.timestamp()) * 1000
