"""Read-only views of a finding the other services do not offer: the log lines its
evidence cites (a finding keeps the ids of the newest lines that made its rule fire)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from core.errors import NotFound
from core.models import Finding, LogEntry, LogPublic

EVIDENCE_SHOWN = 200
"""Evidence lines read at most (a finding keeps a bounded number of ids anyway)."""


def evidence_lines(*, session: Session, finding_id: int) -> list[LogPublic]:
    """The stored log lines ``finding_id`` cites, oldest first; lines the retention job has
    purged since are simply absent."""
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise NotFound(f"no finding {finding_id}")
    wanted = list(dict.fromkeys(finding.evidence))[-EVIDENCE_SHOWN:]
    if not wanted:
        return []
    rows = session.exec(
        select(LogEntry).where(col(LogEntry.id).in_(wanted)).order_by(col(LogEntry.id))
    )
    return [LogPublic.model_validate(row, from_attributes=True) for row in rows]
