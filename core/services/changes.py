"""Appending to and reading the change log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlmodel import Session, col, select

from core.models import Actor, ChangeLog, ChangePublic, Outcome

CHANGE_LOG_LOCK = 0x57415244  # "WARD"
CHANGE_CHANNEL = "warden_change"
"""PostgreSQL: the channel notified by every transaction that records a change (delivered
at its commit), so a waiting process wakes at once instead of at its next poll."""


def record_change(
    *,
    session: Session,
    actor: Actor,
    kind: str,
    entity: str,
    entity_id: str,
    summary: str,
    outcome: Outcome = Outcome.OK,
    at: datetime | None = None,
) -> None:
    """Add a change_log row to the session's transaction (the caller commits).
    ``outcome`` is ``denied`` for refused attempts (the change log is the audit log);
    ``at`` defaults to the wall clock."""
    if session.get_bind().dialect.name == "postgresql":
        # Ids come from a sequence at insert time, not at commit: without this lock a feed
        # reading "ids after the last one seen" could pass over a slower transaction's row.
        # Holding it to the commit makes change-writing transactions commit in id order
        # (on SQLite, BEGIN IMMEDIATE already serialises writers).
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGE_LOG_LOCK})
        session.execute(text(f"NOTIFY {CHANGE_CHANNEL}"))  # one per transaction, at commit
    stamp = {"at": at} if at is not None else {}
    session.add(
        ChangeLog(
            **stamp,
            actor=actor.name,
            origin=actor.origin,
            kind=kind,
            entity=entity,
            entity_id=entity_id,
            summary=summary[:500],
            address=actor.address,
            outcome=outcome,
        )
    )


def list_changes(*, session: Session, after_id: int = 0, limit: int = 1000) -> list[ChangePublic]:
    rows = session.exec(
        select(ChangeLog)
        .where(col(ChangeLog.id) > after_id)
        .order_by(col(ChangeLog.id))
        .limit(limit)
    )
    return [ChangePublic.model_validate(row, from_attributes=True) for row in rows]


def last_change_id(*, session: Session) -> int:
    latest = session.exec(select(ChangeLog.id).order_by(col(ChangeLog.id).desc()).limit(1)).first()
    return latest or 0


def record_device_change(
    *, session: Session, actor: Actor, kind: str, device_id: str, summary: str
) -> None:
    """``record_change`` for the most common entity, a device."""
    record_change(
        session=session,
        actor=actor,
        kind=kind,
        entity="device",
        entity_id=device_id,
        summary=summary,
    )
