"""The audit log: who did what, when, from where, and whether it was allowed.

It is the change log (``core.models.ChangeLog``): every mutation writes its row in its own
transaction, and refused attempts are added here as ``denied``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core.db import Database
from core.models import Actor, ChangeLog, ChangePublic, Origin, Outcome
from core.permissions import Permission, authorize
from core.services.changes import record_change
from core.services.paging import Page, page_of, window

AuditEntry = ChangePublic
MAX_LIMIT = 1000


def list_audit(
    *,
    session: Session,
    actor: Actor,
    actor_name: str | None = None,
    origin: Origin | None = None,
    outcome: Outcome | None = None,
    kind_prefix: str | None = None,
    before_id: int | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[ChangePublic]:
    """Entries newest first (at most ``MAX_LIMIT`` a page); page back with ``offset``, or
    with ``before_id`` = the last id seen, which holds still while new entries arrive."""
    authorize(actor, Permission.AUDIT_READ)
    query = select(ChangeLog)
    if actor_name is not None:
        query = query.where(ChangeLog.actor == actor_name)
    if origin is not None:
        query = query.where(ChangeLog.origin == Origin(origin))
    if outcome is not None:
        query = query.where(ChangeLog.outcome == Outcome(outcome))
    if kind_prefix:
        query = query.where(col(ChangeLog.kind).startswith(kind_prefix, autoescape=True))
    if before_id is not None:
        query = query.where(col(ChangeLog.id) < before_id)
    limit = max(1, min(limit, MAX_LIMIT))
    rows = session.exec(
        window(query.order_by(col(ChangeLog.id).desc()), offset=offset, limit=limit)
    )
    return page_of(
        [ChangePublic.model_validate(row, from_attributes=True) for row in rows],
        offset=offset,
        limit=limit,
    )


def record_denied(
    *,
    db: Database,
    actor: Actor,
    action: str,
    entity: str = "",
    entity_id: str = "",
    summary: str,
) -> None:
    """Audit a refused attempt, in a transaction of its own: the service that refused it
    rolled its own back. Front ends call this when they catch ``PermissionDenied``."""
    with db.writer() as session:
        record_change(
            session=session,
            actor=actor,
            kind=f"denied.{action}"[:64],
            entity=entity[:32],
            entity_id=entity_id[:64],
            summary=summary,
            outcome=Outcome.DENIED,
        )
        session.commit()


AGGREGATE_WINDOW = timedelta(minutes=1)


def record_refusal(
    *,
    session: Session,
    actor: Actor,
    kind: str,
    reason: str,
    summary: str,
    now: datetime,
) -> None:
    """Audit a refusal (a throttled login, a request without valid credentials) in the
    caller's transaction, one row per kind, address and ``reason`` a minute: a repeat
    within the minute adds to that row's ``count`` instead of writing another, so a
    flood of refusals cannot flood the table."""
    since = now - AGGREGATE_WINDOW
    reason = reason[:64]
    address = actor.address[:64] if actor.address else None
    same_address = (
        ChangeLog.address == address if address is not None else col(ChangeLog.address).is_(None)
    )
    row = session.exec(
        select(ChangeLog)
        .where(
            ChangeLog.kind == kind,
            ChangeLog.entity_id == reason,
            same_address,
            ChangeLog.outcome == Outcome.DENIED,
            col(ChangeLog.at) >= since,
        )
        .order_by(col(ChangeLog.id).desc())
        .limit(1)
    ).first()
    if row is not None:
        row.count += 1
        session.add(row)
        return
    record_change(
        session=session,
        actor=actor.model_copy(update={"address": address}),
        kind=kind,
        entity="auth",
        entity_id=reason,
        summary=summary,
        outcome=Outcome.DENIED,
        at=now,
    )


def record_refusal_now(
    *, db: Database, actor: Actor, kind: str, reason: str, summary: str, now: datetime
) -> None:
    """``record_refusal`` in a transaction of its own (the request was refused before
    any unit of work began)."""
    with db.writer() as session:
        record_refusal(
            session=session, actor=actor, kind=kind, reason=reason, summary=summary, now=now
        )
        session.commit()
