"""Intents: plan a sentence against the registry and the live intents, submit it, list,
show and revoke.

Planning is parse (pure) → resolve (registry) → compile (pure) with the live intents, so
conflicts with what already holds are found before anything is stored. Submitting stores
one intent per intent of the sentence, ``planned`` with its policies ``pending``, through
``intent_lifecycle`` (which owns every status change); the reconciler applies them and
moves them on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session, col, select

from core.errors import Conflict, InvalidInput, NotFound
from core.intents import Intent, ParseResult, parse_intent
from core.intents.compiler import compile_intents
from core.intents.grounding import ground
from core.intents.params import RevokeIdParams, RevokeKindParams
from core.intents.plan_text import render_plan
from core.intents.policy import CompileInput, CompileResult, TargetDevice
from core.intents.refusals import refusals
from core.models import (
    Actor,
    IntentCheck,
    IntentCheckPublic,
    IntentPublic,
    IntentRecord,
    IntentStatus,
    PlannedIntent,
    PlanPublic,
    PolicyPublic,
    PolicyRecord,
)
from core.permissions import Permission, authorize
from core.ports import KernelFeatures
from core.services import intent_lifecycle
from core.services.paging import Page, page_of, window
from core.services.resolve import Resolution, declared_settings, fleet_of, resolve_targets

LIVE = [s.value for s in IntentStatus if s.live]


class IntentNotUnderstood(InvalidInput):
    title = "Intent not understood"

    def __init__(self, result: ParseResult) -> None:
        assert result.error is not None
        message = result.error.message
        if result.error.suggestions:
            message += " Try: " + " or ".join(f"“{s}”" for s in result.error.suggestions[:3])
        super().__init__(message)
        self.result = result


class IntentConflict(Conflict):
    title = "Intent conflicts"

    def __init__(self, messages: list[str], live_ids: Sequence[int] = ()) -> None:
        super().__init__(
            "; ".join(messages) + " (revoke the live intent, or submit this one to replace it)"
        )
        self.messages = messages
        self.live_ids = list(live_ids)
        """The live intents it conflicts with: what a front end offers to replace."""


class IntentRefused(InvalidInput):
    title = "Intent cannot be enforced here"

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def _targets(resolution: Resolution) -> list[TargetDevice]:
    return [TargetDevice(id=d.id, type=d.type, ip=d.ip, mac=d.mac) for d in resolution.devices]


def _live_inputs(session: Session) -> tuple[list[CompileInput], list[IntentRecord]]:
    records = list(session.exec(select(IntentRecord).where(col(IntentRecord.status).in_(LIVE))))
    inputs = []
    for record in records:
        intent = Intent.model_validate(record.parsed)
        resolution = resolve_targets(session=session, targets=intent.targets)
        inputs.append(
            CompileInput(
                intent_id=record.id,
                index=record.position,
                intent=intent,
                devices=_targets(resolution),
                addresses=resolution.addresses,
                replaces=record.replaces,
            )
        )
    return inputs, records


def _revoked_by(
    intent: Intent,
    resolution: Resolution,
    live: list[IntentRecord],
    live_inputs: list[CompileInput],
) -> list[int]:
    params = intent.params
    if isinstance(params, RevokeIdParams):
        return [r.id for r in live if r.id == params.intent_id]  # type: ignore[misc]
    kind = params.kind if isinstance(params, RevokeKindParams) else None
    everything = any(t.get("all") for t in intent.targets)
    devices = {d.id for d in resolution.devices}
    ended = []
    for record, compiled in zip(live, live_inputs, strict=True):
        if kind and record.kind != kind:
            continue
        if everything or devices & {d.id for d in compiled.devices}:
            ended.append(record.id)
    return ended  # type: ignore[return-value]


def _parse(session: Session, text: str) -> ParseResult:
    result = parse_intent(text)
    if not result.ok:  # read again, for suggestions that name this registry's devices
        raise IntentNotUnderstood(parse_intent(text, fleet=fleet_of(session=session)))
    return result


def plan(
    *,
    session: Session,
    text: str,
    replaces: Sequence[int] = (),
    features: KernelFeatures | None,
) -> PlanPublic:
    """What submitting ``text`` would change, and whether anything stands in the way.
    ``features``: what the kernel offers, when known. Reads only; nothing is stored."""
    return _plan(session, _parse(session, text), text, replaces, features, render=True)


def _plan(
    session: Session,
    result: ParseResult,
    text: str,
    replaces: Sequence[int],
    features: KernelFeatures | None,
    *,
    render: bool,
) -> PlanPublic:
    """``plan`` of a parsed sentence; ``render``: whether to write the plan's text (a
    person reads it before submitting; ``submit`` itself does not need it)."""
    refused = refusals(result.intents, features)
    live_inputs, live = _live_inputs(session)
    planned: list[PlannedIntent] = []
    new: list[CompileInput] = []
    for position, said in enumerate(result.intents):
        resolution = resolve_targets(session=session, targets=said.targets)
        intent, why = ground(said, declared_settings(resolution))
        refused.extend(f"{said.explanation}: {reason}" for reason in why)
        revokes = (
            _revoked_by(intent, resolution, live, live_inputs) if intent.kind == "revoke" else []
        )
        planned.append(
            PlannedIntent(
                position=position,
                intent=intent,
                explanation=intent.explanation,
                devices=[d.id for d in resolution.devices],
                addresses=resolution.addresses,
                warnings=resolution.warnings,
                revokes=revokes,
            )
        )
        if intent.kind != "revoke" and not why:  # refused: nothing of it is planned
            new.append(
                CompileInput(
                    intent_id=None,
                    index=position,
                    intent=intent,
                    devices=_targets(resolution),
                    addresses=resolution.addresses,
                    replaces=list(replaces),
                )
            )
    ending = {i for p in planned for i in p.revokes}
    compiled: CompileResult = compile_intents(
        new, [c for c in live_inputs if c.intent_id not in ending]
    )
    warnings = [*result.warnings, *(w for p in planned for w in p.warnings), *compiled.warnings]
    notes = list(compiled.notes)
    notes += [f"revokes intent {i}" for i in sorted(ending)]
    rendered = render_plan(compiled, intents=[p.intent for p in planned]) if render else ""
    if refused:
        rendered += "".join(f"\nRefused: {r}" for r in refused)
    return PlanPublic(
        text=text,
        ok=not compiled.conflicts and not refused,
        intents=planned,
        policies=compiled.policies,
        conflicts=compiled.conflicts,
        refusals=refused,
        warnings=warnings,
        notes=notes,
        rendered=rendered,
    )


def _publics(session: Session, records: Sequence[IntentRecord]) -> list[IntentPublic]:
    """The intents with their policies (one query for all the policies)."""
    by_intent: dict[int, list[PolicyPublic]] = {}
    if records:
        policies = session.exec(
            select(PolicyRecord)
            .where(col(PolicyRecord.intent_id).in_([r.id for r in records]))
            .order_by(col(PolicyRecord.id))
        )
        for policy in policies:
            public = PolicyPublic.model_validate(policy, from_attributes=True)
            by_intent.setdefault(policy.intent_id, []).append(public)
    out = []
    for record in records:
        public = IntentPublic.model_validate(record, from_attributes=True)
        public.policies = by_intent.get(record.id, [])  # type: ignore[arg-type]
        if record.checks:
            public.satisfaction = round(record.checks_satisfied / record.checks, 4)
        out.append(public)
    return out


def _get(session: Session, intent_id: int) -> IntentRecord:
    record = session.get(IntentRecord, intent_id)
    if record is None:
        raise NotFound(f"no intent {intent_id}")
    return record


def history(*, session: Session, intent_id: int, limit: int = 500) -> list[IntentCheckPublic]:
    """The intent's verification checks, newest first (kept 7 days)."""
    _get(session, intent_id)
    rows = session.exec(
        select(IntentCheck)
        .where(IntentCheck.intent_id == intent_id)
        .order_by(col(IntentCheck.at).desc())
        .limit(limit)
    )
    return [IntentCheckPublic.model_validate(r, from_attributes=True) for r in rows]


def submit(
    *,
    session: Session,
    text: str,
    actor: Actor,
    now: datetime,
    replaces: Sequence[int] = (),
    features: KernelFeatures | None,
) -> tuple[list[IntentPublic], list[int]]:
    """Plan ``text`` and store it: its intents as ``planned`` with their policies pending,
    the intents it revokes or replaces ended. Refuses (``IntentRefused``) what this gateway
    cannot enforce and (``IntentConflict``) while the plan has conflicts. Returns (the
    stored intents, the ids of the intents ended)."""
    authorize(actor, Permission.INTENTS_WRITE)
    result = _parse(session, text)
    planned = _plan(session, result, text, replaces, features, render=False)
    if planned.refusals:
        raise IntentRefused(planned.refusals)
    if not planned.ok:
        raise IntentConflict(
            [c.message for c in planned.conflicts],
            sorted({i for c in planned.conflicts for i, _ in c.intents if i is not None}),
        )
    for intent_id in replaces:
        record = session.get(IntentRecord, intent_id)
        if record is None or record.status not in LIVE:
            raise InvalidInput(f"intent {intent_id} is not live, so it cannot be replaced")
    stored = [
        intent_lifecycle.record_submitted(
            session=session,
            text=text,
            position=item.position,
            intent=intent,
            policies=[p for p in planned.policies if p.index == item.position],
            replaces=replaces,
            actor=actor,
            now=now,
        )
        for item in planned.intents
        for intent in [item.intent]  # as grounded in what the devices declare
        if intent.kind != "revoke"
    ]
    ended = sorted({i for p in planned.intents for i in p.revokes} | set(replaces))
    for intent_id in ended:
        intent_lifecycle.end(
            session=session,
            intent_id=intent_id,
            why="replaced" if intent_id in replaces else "revoked",
            actor=actor,
            now=now,
        )
    session.commit()
    return _publics(session, [_get(session, i) for i in stored]), ended


def revoke(*, session: Session, intent_id: int, actor: Actor, now: datetime) -> IntentPublic:
    """End a live intent; its policies are to be removed by enforcement."""
    authorize(actor, Permission.INTENTS_WRITE)
    record = _get(session, intent_id)
    if record.status not in LIVE:
        raise InvalidInput(f"intent {intent_id} is already {record.status}")
    intent_lifecycle.end(session=session, intent_id=intent_id, why="revoked", actor=actor, now=now)
    session.commit()
    return get_intent(session=session, intent_id=intent_id)


def get_intent(*, session: Session, intent_id: int) -> IntentPublic:
    (public,) = _publics(session, [_get(session, intent_id)])
    return public


def list_intents(
    *,
    session: Session,
    status: IntentStatus | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[IntentPublic]:
    """Intents, newest first, a page at a time."""
    query = select(IntentRecord).order_by(col(IntentRecord.id).desc())
    if status is not None:
        query = query.where(IntentRecord.status == status)
    rows = session.exec(window(query, offset=offset, limit=limit)).all()
    page = page_of(rows, offset=offset, limit=limit)
    return Page(
        items=_publics(session, page.items),
        limit=page.limit,
        offset=page.offset,
        next_offset=page.next_offset,
    )


def intents_for_device(*, session: Session, device_id: str, limit: int = 50) -> list[IntentPublic]:
    """Intents with a policy on ``device_id``, newest first."""
    ids = select(PolicyRecord.intent_id).where(PolicyRecord.device_id == device_id)
    records = session.exec(
        select(IntentRecord)
        .where(col(IntentRecord.id).in_(ids))
        .order_by(col(IntentRecord.id).desc())
        .limit(limit)
    ).all()
    return _publics(session, records)
