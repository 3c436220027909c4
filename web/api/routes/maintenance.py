"""``/maintenance``: windows during which findings are recorded but suppressed."""

from __future__ import annotations

from fastapi import APIRouter, status

from core.models import MaintenancePublic
from core.services import maintenance
from web.api.deps import CanRead, CanWriteMaintenance, CoreDep, PagingDep, RowId
from web.api.schemas import MaintenanceIn, Page

router = APIRouter(prefix="/maintenance", tags=["maintenance"])


@router.get("", response_model=Page[MaintenancePublic])
def list_windows(
    core: CoreDep, actor: CanRead, paging: PagingDep, include_past: bool = False
) -> Page[MaintenancePublic]:
    """Current and coming windows (``include_past``: ended ones too)."""
    with core.db.reader() as session:
        return maintenance.list_windows(
            session=session,
            now=core.clock.now(),
            include_past=include_past,
            offset=paging.offset,
            limit=paging.limit,
        )


@router.post("", response_model=MaintenancePublic, status_code=status.HTTP_201_CREATED)
def add_window(body: MaintenanceIn, core: CoreDep, actor: CanWriteMaintenance) -> MaintenancePublic:
    with core.db.writer() as session:
        return maintenance.add_window(
            session=session,
            reason=body.reason,
            selector=body.selector,
            starts_at=body.starts_at or core.clock.now(),
            ends_at=body.ends_at,
            actor=actor,
            every=body.every,
            repeat_until=body.repeat_until,
        )


@router.post("/{window_id}/end", response_model=MaintenancePublic)
def end_window(window_id: RowId, core: CoreDep, actor: CanWriteMaintenance) -> MaintenancePublic:
    with core.db.writer() as session:
        return maintenance.end_window(
            session=session, window_id=window_id, actor=actor, now=core.clock.now()
        )
