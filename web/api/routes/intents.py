"""``/intents``: the intent language: parse, plan, submit, list, show, revoke.

What the kernel can enforce comes from ``core.kernel`` (the composition root's port), so a
plan made here refuses what this gateway cannot do, like every other front end's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from core.intents import ParseResult, parse_intent
from core.models import IntentPublic, IntentStatus
from core.ports import KernelFeatures
from core.services import intents
from core.services.intents import PlanPublic
from web.api.deps import CanRead, CanWriteIntents, CoreDep, PagingDep, RowId
from web.api.schemas import (
    IntentDetail,
    IntentPlanIn,
    IntentsSubmitted,
    IntentTextIn,
    Page,
)

router = APIRouter(prefix="/intents", tags=["intents"])


def kernel_features(core: CoreDep) -> KernelFeatures | None:
    return core.kernel.features()


FeaturesDep = Annotated[KernelFeatures | None, Depends(kernel_features)]


@router.post("/parse", response_model=ParseResult)
def parse(body: IntentTextIn, actor: CanRead) -> ParseResult:
    """How Warden reads the text; touches nothing. ``ok`` is false when it cannot."""
    return parse_intent(body.text)


@router.post("/plan", response_model=PlanPublic)
def plan(body: IntentPlanIn, core: CoreDep, actor: CanRead, features: FeaturesDep) -> PlanPublic:
    """What the text would change and what it conflicts with; applies nothing."""
    with core.db.reader() as session:
        return intents.plan(
            session=session, text=body.text, replaces=body.replaces, features=features
        )


@router.post("", response_model=IntentsSubmitted, status_code=status.HTTP_201_CREATED)
def submit(
    body: IntentPlanIn, core: CoreDep, actor: CanWriteIntents, features: FeaturesDep
) -> IntentsSubmitted:
    """Plan and store the intents; the agent applies them. Refused (409) while the plan
    has conflicts and (400) when this gateway cannot enforce it."""
    with core.db.writer() as session:
        stored, ended = intents.submit(
            session=session,
            text=body.text,
            actor=actor,
            now=core.clock.now(),
            replaces=body.replaces,
            features=features,
        )
    return IntentsSubmitted(intents=stored, ended=ended)


@router.get("", response_model=Page[IntentPublic])
def list_intents(
    core: CoreDep, actor: CanRead, paging: PagingDep, status: IntentStatus | None = None
) -> Page[IntentPublic]:
    with core.db.reader() as session:
        return intents.list_intents(
            session=session, status=status, offset=paging.offset, limit=paging.limit
        )


@router.get("/{intent_id}", response_model=IntentDetail)
def get_intent(intent_id: RowId, core: CoreDep, actor: CanRead) -> IntentDetail:
    """The intent and its check history, newest first."""
    with core.db.reader() as session:
        record = intents.get_intent(session=session, intent_id=intent_id)
        history = intents.history(session=session, intent_id=intent_id)
    return IntentDetail(intent=record, history=history)


@router.post("/{intent_id}/revoke", response_model=IntentPublic)
def revoke(intent_id: RowId, core: CoreDep, actor: CanWriteIntents) -> IntentPublic:
    with core.db.writer() as session:
        return intents.revoke(
            session=session, intent_id=intent_id, actor=actor, now=core.clock.now()
        )
