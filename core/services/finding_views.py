"""Read-only views of a finding the other services do not offer: the log lines its
evidence cites (a finding keeps the ids of the newest lines that made its rule fire)."""

from __future__ import annotations

from sqlmodel import Session

from core.errors import NotFound
from core.models import Finding, LogPublic
from core.services.logs import logs_by_ids


def evidence_lines(*, session: Session, finding_id: int) -> list[LogPublic]:
    """The stored log lines ``finding_id`` cites, oldest first; lines the retention job has
    purged since are simply absent."""
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise NotFound(f"no finding {finding_id}")
    return logs_by_ids(session=session, ids=finding.evidence)
