"""``/audit`` (admin): who changed what, when, from where, and what was refused."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from core.models import ChangePublic, Origin, Outcome
from core.services import audit
from web.api.deps import CanReadAudit, CoreDep, PagingDep
from web.api.schemas import Page

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("", response_model=Page[ChangePublic])
def list_audit(
    core: CoreDep,
    actor: CanReadAudit,
    paging: PagingDep,
    user: Annotated[str | None, Query(max_length=64, description="Who acted.")] = None,
    origin: Origin | None = None,
    outcome: Outcome | None = None,
    kind: Annotated[str | None, Query(max_length=64, description="Kind prefix.")] = None,
) -> Page[ChangePublic]:
    """Newest first."""
    with core.db.reader() as session:
        return audit.list_audit(
            session=session,
            actor=actor,
            actor_name=user,
            origin=origin,
            outcome=outcome,
            kind_prefix=kind,
            offset=paging.offset,
            limit=paging.limit,
        )
