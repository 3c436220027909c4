"""What a running Warden process publishes about itself (heartbeat, broker connections),
so other processes (the CLI, the consoles) can tell whether the daemon is up."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from core.models import Setting

AGENT_KEY = "agent.heartbeat"
STALE_AFTER = timedelta(seconds=15)


def upsert_setting(*, session: Session, key: str, value: Any, now: datetime) -> None:
    """Set a run-time setting in the session's transaction (the caller commits)."""
    row = session.get(Setting, key)
    if row is None:
        row = Setting(key=key, value=value, updated_at=now)
    else:
        row.value = value
        row.updated_at = now
    session.add(row)


def put_state(*, session: Session, key: str, value: dict[str, Any], now: datetime) -> None:
    upsert_setting(session=session, key=key, value=value, now=now)
    session.commit()


def get_state(*, session: Session, key: str, now: datetime) -> dict[str, Any] | None:
    """The state published under ``key``, with ``running`` telling whether it is fresh."""
    row = session.get(Setting, key)
    if row is None:
        return None
    return {
        **(row.value or {}),
        "updated_at": row.updated_at.isoformat(),
        "running": now - row.updated_at < STALE_AFTER,
    }
