"""Reading the dead letters (they are written by the ingest service)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.models import DeadLetter, DeadLetterPublic
from core.services.devices import find_device
from core.services.paging import Page, page_of, window


def list_dead_letters(
    *,
    session: Session,
    reason: str | None = None,
    device_id: str | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[DeadLetterPublic]:
    """Dead letters, newest first. With ``device_id``: those whose topic names the device
    (``{prefix}/{id}/...``); a dead letter keeps no device id of its own, the topic is all
    there is."""
    query = select(DeadLetter).order_by(col(DeadLetter.id).desc())
    if reason:
        query = query.where(DeadLetter.reason == reason)
    if device_id is not None:
        device = find_device(session, device_id)
        query = query.where(col(DeadLetter.topic).contains(f"/{device.id}/", autoescape=True))
    rows = session.exec(window(query, offset=offset, limit=limit)).all()
    return page_of(
        [DeadLetterPublic.model_validate(d, from_attributes=True) for d in rows],
        offset=offset,
        limit=limit,
    )
