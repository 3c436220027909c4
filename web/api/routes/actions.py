"""``/actions``: what playbooks propose; approve or reject them. A viewer reads actions
without their steps' output (``outputs_hidden`` says why)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from core.models import ActionPublic, ActionState
from core.services import actions
from web.api.deps import MAX_ID, CanDecideActions, CanRead, CoreDep, PagingDep, RowId
from web.api.schemas import Page, RejectIn

router = APIRouter(prefix="/actions", tags=["actions"])


@router.get("", response_model=Page[ActionPublic])
def list_actions(
    core: CoreDep,
    actor: CanRead,
    paging: PagingDep,
    state: ActionState | None = None,
    finding: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only this finding's actions.")
    ] = None,
) -> Page[ActionPublic]:
    with core.db.reader() as session:
        return actions.list_actions(
            session=session,
            reader=actor,
            state=state,
            finding_id=finding,
            offset=paging.offset,
            limit=paging.limit,
        )


@router.get("/{action_id}", response_model=ActionPublic)
def get_action(action_id: RowId, core: CoreDep, actor: CanRead) -> ActionPublic:
    with core.db.reader() as session:
        return actions.get_action(session=session, action_id=action_id, reader=actor)


@router.post("/{action_id}/approve", response_model=ActionPublic)
def approve(action_id: RowId, core: CoreDep, actor: CanDecideActions) -> ActionPublic:
    """Approve a proposed action; the agent runs it."""
    with core.db.writer() as session:
        return actions.approve(
            session=session, action_id=action_id, actor=actor, now=core.clock.now()
        )


@router.post("/{action_id}/reject", response_model=ActionPublic)
def reject(
    action_id: RowId, core: CoreDep, actor: CanDecideActions, body: RejectIn | None = None
) -> ActionPublic:
    reason = (body or RejectIn()).reason
    with core.db.writer() as session:
        return actions.reject(
            session=session,
            action_id=action_id,
            actor=actor,
            now=core.clock.now(),
            reason=reason,
        )
