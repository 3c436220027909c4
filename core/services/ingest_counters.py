"""Where the MQTT writers keep their cumulative counts, and their sum for every reader.

Each writer owns one ``Setting`` row, written in the transaction of every batch it commits
(``core.pipeline.batch.IngestCounters`` plus the agent's heartbeat facts such as
``queue_depth`` and ``brokers``). One agent (SQLite) keeps ``ingest.counters`` as always;
agents sharing a PostgreSQL database each keep ``ingest.counters@<agent name>``, since one
shared row would be overwritten by whichever agent committed last. Readers (``warden
stats``, ``/metrics``, the overview) call ``load_counters()`` and get the sum, in the shape
of one writer's counts."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from core.models import Setting

COUNTERS_KEY = "ingest.counters"
"""The MQTT writer's cumulative counts (``core.pipeline.batch.IngestCounters``)."""
AGENT_COUNTERS_PREFIX = COUNTERS_KEY + "@"
"""Followed by the agent's name: one agent's counts among several sharing one database."""
HTTP_COUNTERS_KEY = "ingest.http.counters"
"""HTTP ingest's cumulative counts (same shape)."""


def agent_counters_key(agent_name: str) -> str:
    return AGENT_COUNTERS_PREFIX + agent_name


def load_counters(*, session: Session, key: str | None = None) -> dict[str, Any]:
    """The cumulative counts stored under ``key`` (``{}`` before the first batch); without
    a key, those of every MQTT writer summed (``sum_counters``)."""
    if key is not None:
        row = session.get(Setting, key)
        return dict(row.value) if row is not None and row.value else {}
    rows = session.exec(
        select(Setting.value).where(
            (col(Setting.key) == COUNTERS_KEY)
            | col(Setting.key).startswith(AGENT_COUNTERS_PREFIX, autoescape=True)
        )
    )
    return sum_counters([dict(value) for value in rows if value])


def sum_counters(snapshots: list[dict[str, Any]]) -> dict[str, Any]:
    """Several writers' snapshots as one: counts (and queue depths) added, counts by
    reason added per reason, lists (their brokers) joined, times (``*_ms``) the latest;
    anything else is the most recent writer's."""
    if len(snapshots) == 1:
        return snapshots[0]
    ordered = sorted(snapshots, key=lambda s: s.get("at_ms") or 0)
    total: dict[str, Any] = {}
    for snapshot in ordered:
        for name, value in snapshot.items():
            total[name] = _plus(name, total.get(name), value)
    return total


def _plus(name: str, so_far: Any, value: Any) -> Any:
    if so_far is None:
        return dict(value) if isinstance(value, dict) else value
    number = (int, float)
    if isinstance(value, number) and isinstance(so_far, number) and not isinstance(value, bool):
        return max(so_far, value) if name.endswith("_ms") else so_far + value
    if isinstance(value, dict) and isinstance(so_far, dict):
        merged = dict(so_far)
        for key, item in value.items():
            merged[key] = _plus(key, so_far.get(key), item)
        return merged
    if isinstance(value, list) and isinstance(so_far, list):
        return so_far + value
    return value
