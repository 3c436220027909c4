"""``/actions``: what playbooks propose; approve or reject them. A viewer reads actions
without their steps' output (``outputs_hidden`` says why)."""

from __future__ import annotations

from fastapi import APIRouter

from core.models import ActionPublic, ActionState
from core.services import actions
from web.api.deps import CanDecideActions, CanRead, CoreDep, PagingDep
from web.api.schemas import Page, RejectIn

router = APIRouter(prefix="/actions", tags=["actions"])


@router.get("", response_model=Page[ActionPublic])
def list_actions(
    core: CoreDep,
    actor: CanRead,
    paging: PagingDep,
    state: ActionState | None = None,
    finding: int | None = None,
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
def get_action(action_id: int, core: CoreDep, actor: CanRead) -> ActionPublic:
    with core.db.reader() as session:
        return actions.get_action(session=session, action_id=action_id, reader=actor)


@router.post("/{action_id}/approve", response_model=ActionPublic)
def approve(action_id: int, core: CoreDep, actor: CanDecideActions) -> ActionPublic:
    """Approve a proposed action; the agent runs it."""
    with core.db.writer() as session:
        return actions.approve(
            session=session, action_id=action_id, actor=actor, now=core.clock.now()
        )


@router.post("/{action_id}/reject", response_model=ActionPublic)
def reject(
    action_id: int, core: CoreDep, actor: CanDecideActions, body: RejectIn | None = None
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
