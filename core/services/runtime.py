"""What a running Warden process publishes about itself (heartbeat, broker connections),
so other processes (the CLI, the consoles) can tell whether the daemon is up."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects import postgresql
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session

from core.models import Setting

AGENT_KEY = "agent.heartbeat"
STALE_AFTER = timedelta(seconds=15)


def upsert_setting(*, session: Session, key: str, value: Any, now: datetime) -> None:
    """Set a run-time setting in the session's transaction (the caller commits).

    On PostgreSQL several agents may write one key at the same moment (each mirror's
    ``sink.influx`` state, the first heartbeats on an empty database): one ``INSERT ... ON
    CONFLICT DO UPDATE``, where read-then-insert would fail the later one on the key."""
    if session.get_bind().dialect.name == "postgresql":
        insert = postgresql.insert(Setting).values(key=key, value=value, updated_at=now)
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["key"],
                set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
            )
        )
        loaded = session.identity_map.get(identity_key(Setting, key))
        if loaded is not None:
            session.expire(loaded)  # read back as written, not as loaded before
        return
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
