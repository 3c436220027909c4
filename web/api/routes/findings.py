"""``/findings``: what the rules found; acknowledge, resolve and annotate them."""

from __future__ import annotations

from fastapi import APIRouter, status

from core.models import FindingPublic, FindingStatus
from core.services import finding_explain, findings
from core.services.finding_explain import FindingExplained
from core.services.findings import FindingOrder
from web.api.deps import CanRead, CanWriteFindings, CoreDep, PagingDep, RowId
from web.api.schemas import NoteIn, Page, ResolveIn

router = APIRouter(prefix="/findings", tags=["findings"])


@router.get("", response_model=Page[FindingPublic])
def list_findings(
    core: CoreDep,
    actor: CanRead,
    paging: PagingDep,
    status: FindingStatus | None = None,
    severity: str | None = None,
    rule: str | None = None,
    device: str | None = None,
    order: FindingOrder = "severity",
) -> Page[FindingPublic]:
    """Unresolved first, then the most severe, then the most recently seen; or, with
    ``order=recent``, the most recently seen first."""
    with core.db.reader() as session:
        return findings.list_findings(
            session=session,
            status=status,
            severity=severity,
            rule_id=rule,
            device_id=device,
            order=order,
            offset=paging.offset,
            limit=paging.limit,
        )


@router.get("/{finding_id}", response_model=FindingPublic)
def get_finding(finding_id: RowId, core: CoreDep, actor: CanRead) -> FindingPublic:
    with core.db.reader() as session:
        return findings.get_finding(session=session, finding_id=finding_id)


@router.get("/{finding_id}/explained", response_model=FindingExplained)
def explain_finding(finding_id: RowId, core: CoreDep, actor: CanRead) -> FindingExplained:
    """The finding with what its rule means and what to do, the log lines it cites whole,
    and its details with times as times."""
    with core.db.reader() as session:
        return finding_explain.explain(session=session, finding_id=finding_id)


@router.post("/{finding_id}/ack", response_model=FindingPublic)
def acknowledge(finding_id: RowId, core: CoreDep, actor: CanWriteFindings) -> FindingPublic:
    with core.db.writer() as session:
        return findings.acknowledge(
            session=session, finding_id=finding_id, actor=actor, now=core.clock.now()
        )


@router.post("/{finding_id}/resolve", response_model=FindingPublic)
def resolve(
    finding_id: RowId, core: CoreDep, actor: CanWriteFindings, body: ResolveIn | None = None
) -> FindingPublic:
    why = (body or ResolveIn()).why
    with core.db.writer() as session:
        return findings.resolve(
            session=session, finding_id=finding_id, actor=actor, now=core.clock.now(), why=why
        )


@router.post(
    "/{finding_id}/notes", response_model=FindingPublic, status_code=status.HTTP_201_CREATED
)
def add_note(
    finding_id: RowId, body: NoteIn, core: CoreDep, actor: CanWriteFindings
) -> FindingPublic:
    with core.db.writer() as session:
        return findings.add_note(
            session=session,
            finding_id=finding_id,
            actor=actor,
            text=body.text,
            now=core.clock.now(),
        )
