"""Read-only queries the terminal console needs and the other services do not offer:
the log lines behind a finding's evidence, and the intents whose policies touch a device."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from core.models import IntentPublic, IntentRecord, LogEntry, LogPublic, PolicyRecord
from core.services.intents import get_intent

EVIDENCE_SHOWN = 200
"""Evidence lines shown at most (a finding keeps a bounded number anyway)."""


def logs_by_ids(*, session: Session, ids: Sequence[int]) -> list[LogPublic]:
    """The stored log lines among ``ids``, oldest first; purged ones are simply absent."""
    wanted = list(dict.fromkeys(ids))[-EVIDENCE_SHOWN:]
    if not wanted:
        return []
    rows = session.exec(
        select(LogEntry).where(col(LogEntry.id).in_(wanted)).order_by(col(LogEntry.id))
    )
    return [LogPublic.model_validate(r, from_attributes=True) for r in rows]


def intents_for_device(*, session: Session, device_id: str, limit: int = 50) -> list[IntentPublic]:
    """Intents with a policy on ``device_id``, newest first."""
    ids = session.exec(
        select(PolicyRecord.intent_id)
        .where(PolicyRecord.device_id == device_id)
        .distinct()
        .order_by(col(PolicyRecord.intent_id).desc())
        .limit(limit)
    ).all()
    known = set(session.exec(select(IntentRecord.id).where(col(IntentRecord.id).in_(ids))))
    return [get_intent(session=session, intent_id=i) for i in ids if i in known]
