"""Each device's sequence state (``core.protocol.SeqState``): stored with every batch, and
judged under a per-device lock when several agents ingest into one PostgreSQL database.

With shared MQTT subscriptions one device's messages reach different agents, and two
agents subscribed to two brokers each get a copy. Duplicates, boots, gaps and the
out-of-order window are judged against the device's stored ``SeqState``, so the judgement
must happen inside the transaction that stores it, with nobody else judging that device
meanwhile: ``lock_devices`` takes one transaction-level advisory lock per device (released
by the commit or the rollback, also when the agent dies), then ``load_seq_states`` reads
the states fresh.

Advisory locks rather than ``SELECT … FOR UPDATE`` on ``device_seq``: that row refers to
the device's row, so locking a device seen for the first time would mean registering it
before its message was judged (a dead-lettered message would register a device). The
locks are taken in ascending key order in one statement, so two agents never wait for
each other in a cycle; two devices whose names hash alike share a lock (more waiting,
never a wrong answer). SQLite has one writer at a time and takes no locks here.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from core.models import DeviceSeq
from core.protocol import SeqState

LOCK_SPACE = 0x57A2_0001
"""The first key of Warden's per-device ingest locks (the two-key form of
``pg_advisory_xact_lock``, apart from the one-key locks that elect leaders)."""
_LOCK = text(
    "SELECT count(pg_advisory_xact_lock(:space, k)) "
    "FROM unnest(CAST(:keys AS integer[])) WITH ORDINALITY AS u(k, i)"
)


def device_lock_key(device_id: str) -> int:
    """A stable signed 32-bit key for ``device_id`` (the same in every agent)."""
    value = zlib.crc32(device_id.encode())
    return value - 2**32 if value >= 2**31 else value


def lock_devices(*, session: Session, device_ids: Iterable[str]) -> None:
    """Hold the ingest lock of every device in ``device_ids`` until the session's
    transaction ends (no-op on SQLite, whose write lock already covers everything)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    keys = sorted({device_lock_key(d) for d in device_ids})
    if keys:
        session.execute(_LOCK, {"space": LOCK_SPACE, "keys": keys})


def locked_states(*, session: Session, device_ids: set[str]) -> dict[str, SeqState]:
    """Lock the devices (``lock_devices``), then read their states (``load_seq_states``)."""
    lock_devices(session=session, device_ids=device_ids)
    return load_seq_states(session=session, device_ids=device_ids)


def load_seq_states(*, session: Session, device_ids: Iterable[str]) -> dict[str, SeqState]:
    """The stored sequence state of each device (a fresh one for a device never judged)."""
    wanted = list(set(device_ids))
    states = {d: SeqState() for d in wanted}
    if wanted:
        rows = session.exec(
            select(DeviceSeq.device_id, DeviceSeq.state).where(col(DeviceSeq.device_id).in_(wanted))
        )
        for device_id, state in rows:
            if state:
                states[device_id] = SeqState.from_json(state)
    return states


def load_seq_state(*, session: Session, device_id: str) -> SeqState | None:
    row = session.get(DeviceSeq, device_id)
    return SeqState.from_json(row.state) if row is not None and row.state else None


def save_seq_states(*, session: Session, states: dict[str, SeqState], now: datetime) -> None:
    """Store each device's state as judged in this batch (the caller commits)."""
    if not states:
        return
    rows = [
        {
            "device_id": device_id,
            "boot": s.boot,
            "last": s.last,
            "duplicates": s.duplicates,
            "gaps": s.gaps,
            "missing": s.missing,
            "state": s.to_json(),
            "updated_at": now,
        }
        for device_id, s in states.items()
    ]
    table = DeviceSeq.__table__
    dialect = session.get_bind().dialect.name
    statement: Any
    if dialect in ("sqlite", "postgresql"):
        module = sqlite if dialect == "sqlite" else postgresql
        base = module.insert(table)
        statement = base.on_conflict_do_update(
            index_elements=["device_id"],
            set_={c: base.excluded[c] for c in rows[0] if c != "device_id"},
        )
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        raise NotImplementedError(dialect)
    session.execute(statement, rows)
