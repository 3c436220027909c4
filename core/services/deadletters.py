"""Reading the dead letters (they are written by the ingest service)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.models import DeadLetter, DeadLetterPublic


def list_dead_letters(
    *, session: Session, reason: str | None = None, limit: int = 100
) -> list[DeadLetterPublic]:
    query = select(DeadLetter).order_by(col(DeadLetter.id).desc()).limit(limit)
    if reason:
        query = query.where(DeadLetter.reason == reason)
    return [DeadLetterPublic.model_validate(d, from_attributes=True) for d in session.exec(query)]
