"""``/stats`` and ``/deadletters``: what the store holds and what the pipeline rejected."""

from __future__ import annotations

from fastapi import APIRouter

from core.models import DeadLetterPublic
from core.services import deadletters, stats
from core.services.stats import StoreStats
from web.api.deps import CanRead, CoreDep, PagingDep
from web.api.schemas import Page

router = APIRouter(tags=["system"])


@router.get("/stats", response_model=StoreStats)
def store_stats(core: CoreDep, actor: CanRead) -> StoreStats:
    """Counts of devices, series, readings and dead letters (counting readings scans the
    table: do not poll this)."""
    with core.db.reader() as session:
        return stats.store_stats(session=session, now=core.clock.now())


@router.get("/deadletters", response_model=Page[DeadLetterPublic])
def list_dead_letters(
    core: CoreDep, actor: CanRead, paging: PagingDep, reason: str | None = None
) -> Page[DeadLetterPublic]:
    with core.db.reader() as session:
        return deadletters.list_dead_letters(
            session=session, reason=reason, offset=paging.offset, limit=paging.limit
        )
