"""Findings: one per (rule, key), with a count, evidence and a lifecycle.

open → acknowledged → resolved, resolved by hand or automatically when the condition clears;
a resolved finding that fires again is reopened (the same row, ``times_opened`` + 1), so
its history stays in one place. Firings during a maintenance window are recorded as
``suppressed``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import case
from sqlmodel import Session, SQLModel, col, select

from core.clock import from_ms
from core.errors import InvalidInput, NotFound
from core.models import (
    Actor,
    Finding,
    FindingNote,
    FindingNotePublic,
    FindingPublic,
    FindingStatus,
    LogPublic,
)
from core.models.finding import EVIDENCE_KEPT, SEVERITIES
from core.permissions import Permission, authorize
from core.services import actions, notify
from core.services.changes import record_change
from core.services.logs import logs_by_ids
from core.services.paging import Page, page_of, window
from core.services.playbooks import PLAYBOOKS

FindingOrder = Literal["severity", "recent"]
_ORDER = {
    "severity": (
        case((col(Finding.status) == FindingStatus.RESOLVED, 1), else_=0),
        case({sev: -rank for rank, sev in enumerate(SEVERITIES)}, value=col(Finding.severity)),
    ),
    "recent": (),
}
"""What a list is sorted by before recency: attention first, or recency alone."""


class FindingIn(SQLModel):
    """A rule firing, as the rule engine reports it."""

    rule_id: str
    severity: str
    key: str
    device_id: str | None = None
    ts_ms: int
    count: int = 1
    evidence: list[int] = []
    summary: str
    details: dict[str, Any] = {}


def _public(session: Session, finding: Finding) -> FindingPublic:
    (public,) = _publics(session, [finding])
    return public


def _publics(session: Session, rows: Sequence[Finding]) -> list[FindingPublic]:
    """The findings with their notes, which are read for all of them in one query."""
    notes: dict[int, list[FindingNotePublic]] = defaultdict(list)
    ids = [f.id for f in rows]
    if ids:
        for note in session.exec(
            select(FindingNote)
            .where(col(FindingNote.finding_id).in_(ids))
            .order_by(col(FindingNote.id))
        ):
            notes[note.finding_id].append(
                FindingNotePublic.model_validate(note, from_attributes=True)
            )
    publics = []
    for finding in rows:
        public = FindingPublic.model_validate(finding, from_attributes=True)
        public.notes = notes[finding.id]  # type: ignore[index]
        publics.append(public)
    return publics


def _change(session: Session, actor: Actor, finding: Finding, verb: str, summary: str) -> None:
    record_change(
        session=session,
        actor=actor,
        kind=f"finding.{verb}",
        entity="finding",
        entity_id=str(finding.id),
        summary=summary,
    )


def raise_finding(
    *, session: Session, firing: FindingIn, now: datetime, suppressed: bool = False
) -> FindingPublic:
    """Open a finding for a firing, or add the firing to the one for its (rule, key)."""
    if firing.severity not in SEVERITIES:
        raise InvalidInput(f"severity {firing.severity!r} is not one of {', '.join(SEVERITIES)}")
    actor = Actor.system("rules")
    seen = from_ms(firing.ts_ms)
    finding = session.exec(
        select(Finding).where(Finding.rule_id == firing.rule_id, Finding.key == firing.key)
    ).first()
    if finding is None:
        finding = Finding(
            rule_id=firing.rule_id,
            key=firing.key,
            severity=firing.severity,
            device_id=firing.device_id,
            summary=firing.summary,
            details=firing.details,
            evidence=firing.evidence[-EVIDENCE_KEPT:],
            count=firing.count,
            first_seen=seen,
            last_seen=seen,
            suppressed=suppressed,
            updated_at=now,
        )
        session.add(finding)
        session.flush()
        _change(session, actor, finding, "opened", f"{firing.severity}: {firing.summary}")
        if not suppressed:
            notify.enqueue_for_finding(session=session, finding=finding, event="opened", now=now)
        _propose_actions(session, finding, now, suppressed)
    else:
        reopened = finding.status == FindingStatus.RESOLVED
        finding.count += firing.count
        finding.last_seen = max(finding.last_seen, seen)
        finding.summary = firing.summary
        finding.details = firing.details
        finding.severity = firing.severity
        finding.evidence = [*finding.evidence, *firing.evidence][-EVIDENCE_KEPT:]
        finding.device_id = firing.device_id or finding.device_id
        finding.suppressed = suppressed
        finding.updated_at = now
        if reopened:
            finding.status = FindingStatus.OPEN
            finding.times_opened += 1
            finding.acked_by = finding.acked_at = None
            finding.resolved_by = finding.resolved_at = None
        session.add(finding)
        if reopened and not suppressed:
            notify.enqueue_for_finding(session=session, finding=finding, event="reopened", now=now)
        if reopened:
            _propose_actions(session, finding, now, suppressed)
        _change(
            session,
            actor,
            finding,
            "reopened" if reopened else "updated",
            f"{firing.severity}: {firing.summary}",
        )
    session.commit()
    return _public(session, finding)


def _propose_actions(session: Session, finding: Finding, now: datetime, suppressed: bool) -> None:
    """Playbooks act on a finding when it opens or reopens, not on every repeat."""
    playbooks = [p for p in PLAYBOOKS.loaded(session=session) if p.enabled]
    if playbooks:
        actions.propose_for_finding(
            session=session, finding=finding, playbooks=playbooks, now=now, suppressed=suppressed
        )


def _get(session: Session, finding_id: int) -> Finding:
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise NotFound(f"no finding {finding_id}")
    return finding


def acknowledge(*, session: Session, finding_id: int, actor: Actor, now: datetime) -> FindingPublic:
    authorize(actor, Permission.FINDINGS_WRITE)
    finding = _get(session, finding_id)
    if finding.status != FindingStatus.OPEN:
        raise InvalidInput(f"finding {finding_id} is {finding.status}, not open")
    finding.status = FindingStatus.ACKNOWLEDGED
    finding.acked_by, finding.acked_at, finding.updated_at = actor.name, now, now
    session.add(finding)
    _change(session, actor, finding, "acknowledged", f"finding {finding_id} acknowledged")
    session.commit()
    return _public(session, finding)


def resolve(
    *, session: Session, finding_id: int, actor: Actor, now: datetime, why: str = "by hand"
) -> FindingPublic:
    authorize(actor, Permission.FINDINGS_WRITE)
    finding = _get(session, finding_id)
    if finding.status == FindingStatus.RESOLVED:
        raise InvalidInput(f"finding {finding_id} is already resolved")
    finding.status = FindingStatus.RESOLVED
    finding.resolved_by, finding.resolved_at, finding.updated_at = actor.name, now, now
    session.add(finding)
    _change(session, actor, finding, "resolved", f"finding {finding_id} resolved ({why})")
    session.commit()
    return _public(session, finding)


def resolve_cleared(
    *, session: Session, rule_id: str, key: str, now: datetime
) -> FindingPublic | None:
    """The condition behind (rule, key) has cleared: resolve its finding if it is not."""
    finding = session.exec(
        select(Finding).where(Finding.rule_id == rule_id, Finding.key == key)
    ).first()
    if finding is None or finding.status == FindingStatus.RESOLVED:
        return None
    return resolve(
        session=session,
        finding_id=finding.id,
        actor=Actor.system("rules"),  # type: ignore[arg-type]
        now=now,
        why="condition cleared",
    )


def add_note(
    *, session: Session, finding_id: int, actor: Actor, text: str, now: datetime
) -> FindingPublic:
    authorize(actor, Permission.FINDINGS_WRITE)
    finding = _get(session, finding_id)
    text = text.strip()
    if not text:
        raise InvalidInput("a note needs some text")
    session.add(FindingNote(finding_id=finding_id, author=actor.name, at=now, text=text[:2000]))
    _change(session, actor, finding, "noted", f"note on finding {finding_id}")
    session.commit()
    return _public(session, finding)


def get_finding(*, session: Session, finding_id: int) -> FindingPublic:
    return _public(session, _get(session, finding_id))


def list_findings(
    *,
    session: Session,
    status: FindingStatus | None = None,
    severity: str | None = None,
    rule_id: str | None = None,
    device_id: str | None = None,
    order: FindingOrder = "severity",
    offset: int = 0,
    limit: int = 200,
) -> Page[FindingPublic]:
    """Findings, a page at a time: by default what needs attention first (unresolved before
    resolved, then the most severe, then the most recently seen); ``order="recent"``: most
    recently seen first."""
    query = select(Finding).order_by(*_ORDER[order], col(Finding.last_seen).desc(), col(Finding.id))
    if status is not None:
        query = query.where(Finding.status == status)
    if severity:
        query = query.where(Finding.severity == severity)
    if rule_id:
        query = query.where(Finding.rule_id == rule_id)
    if device_id:
        query = query.where(Finding.device_id == device_id)
    rows = session.exec(window(query, offset=offset, limit=limit)).all()
    return page_of(_publics(session, rows), offset=offset, limit=limit)


def evidence_lines(*, session: Session, finding_id: int) -> list[LogPublic]:
    """The stored log lines the finding cites (it keeps the ids of the newest lines that
    made its rule fire), oldest first; lines the retention job has purged since are
    simply absent."""
    return logs_by_ids(session=session, ids=_get(session, finding_id).evidence)


def is_open(*, session: Session, rule_id: str, key: str) -> bool:
    """Whether (rule, key) has a finding that is not resolved."""
    finding = session.exec(
        select(Finding).where(Finding.rule_id == rule_id, Finding.key == key)
    ).first()
    return finding is not None and finding.status != FindingStatus.RESOLVED
