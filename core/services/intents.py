"""The intent lifecycle: plan a sentence against the registry and the live intents, submit
it, list, show and revoke.

Planning is parse (pure) → resolve (registry) → compile (pure) with the live intents, so
conflicts with what already holds are found before anything is stored. Submitting stores
one ``IntentRecord`` per intent of the sentence, status ``planned``, with its policies
``pending``; the enforcement issue's reconciler applies them and moves them on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from core.errors import Conflict, InvalidInput, NotFound
from core.intents import Intent, ParseResult, parse_intent
from core.intents.compiler import NETWORK_KINDS, compile_intents
from core.intents.plan_text import render_plan
from core.intents.policy import CompileInput, CompileResult, TargetDevice
from core.models import (
    Actor,
    IntentCheck,
    IntentCheckPublic,
    IntentPublic,
    IntentRecord,
    IntentStatus,
    PolicyPublic,
    PolicyRecord,
    PolicyStatus,
)
from core.permissions import Permission, authorize
from core.ports import KernelFeatures
from core.services.changes import record_change
from core.services.resolve import Resolution, resolve_targets

LIVE = [s.value for s in IntentStatus if s.live]


class IntentNotUnderstood(InvalidInput):
    title = "Intent not understood"

    def __init__(self, result: ParseResult) -> None:
        assert result.error is not None
        super().__init__(f"{result.error.code}: {result.error.message}")
        self.result = result


class IntentConflict(Conflict):
    title = "Intent conflicts"

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages) + " (revoke one, or submit with --replaces ID)")
        self.messages = messages


class IntentRefused(InvalidInput):
    title = "Intent cannot be enforced here"

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


NO_NETEM = (
    "this kernel has no netem (sch_netem), so delay, jitter and loss cannot be added here; "
    "`warden doctor` lists what the kernel offers"
)
DEVICE_TIMING = (
    "a device setting cannot be given a schedule or a duration: Warden cannot undo it when "
    "the time is up (it does not know the value the device had before)"
)


def refusals(intents: Sequence[Intent], features: KernelFeatures | None) -> list[str]:
    """What this gateway cannot do of ``intents``: impairments without netem (``features``
    None: unknown, e.g. in a dry run, which plans as for a full kernel), and timing on a
    device setting."""
    out = []
    for number, intent in enumerate(intents, start=1):
        label = (
            f"intent {number} ({intent.explanation})" if len(intents) > 1 else intent.explanation
        )
        if intent.kind == "impair" and features is not None and "netem" not in features.qdiscs:
            out.append(f"{label}: {NO_NETEM}")
        timed = intent.schedule is not None or intent.duration_s is not None
        if timed and intent.kind not in NETWORK_KINDS and intent.kind != "revoke":
            out.append(f"{label}: {DEVICE_TIMING}")
    return out


class PlannedIntent(SQLModel):
    position: int
    intent: dict[str, Any]
    explanation: str
    devices: list[str]
    addresses: list[str]
    warnings: list[str]
    revokes: list[int] = []
    """For a revoke intent: the live intents it ends."""


class PlanPublic(SQLModel):
    text: str
    ok: bool
    """False when there are conflicts or refusals: submitting would be refused."""
    intents: list[PlannedIntent]
    policies: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    refusals: list[str] = []
    """What this gateway cannot enforce (no netem in the kernel, say)."""
    warnings: list[str]
    notes: list[str]
    rendered: str
    """The plan as plain text for a person to check."""


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
    if params.get("intent_id") is not None:
        wanted = int(params["intent_id"])
        return [r.id for r in live if r.id == wanted]  # type: ignore[misc]
    kind = params.get("kind")
    everything = any(t.get("all") for t in intent.targets)
    devices = {d.id for d in resolution.devices}
    ended = []
    for record, compiled in zip(live, live_inputs, strict=True):
        if kind and record.kind != kind:
            continue
        if everything or devices & {d.id for d in compiled.devices}:
            ended.append(record.id)
    return ended  # type: ignore[return-value]


def _parse(text: str) -> ParseResult:
    result = parse_intent(text)
    if not result.ok:
        raise IntentNotUnderstood(result)
    return result


def plan(
    *,
    session: Session,
    text: str,
    replaces: Sequence[int] = (),
    features: KernelFeatures | None = None,
) -> PlanPublic:
    """What submitting ``text`` would change, and whether anything stands in the way.
    ``features``: what the kernel offers, when known. Reads only; nothing is stored."""
    result = _parse(text)
    refused = refusals(result.intents, features)
    live_inputs, live = _live_inputs(session)
    planned: list[PlannedIntent] = []
    new: list[CompileInput] = []
    for position, intent in enumerate(result.intents):
        resolution = resolve_targets(session=session, targets=intent.targets)
        revokes = (
            _revoked_by(intent, resolution, live, live_inputs) if intent.kind == "revoke" else []
        )
        planned.append(
            PlannedIntent(
                position=position,
                intent=intent.model_dump(mode="json"),
                explanation=intent.explanation,
                devices=[d.id for d in resolution.devices],
                addresses=resolution.addresses,
                warnings=resolution.warnings,
                revokes=revokes,
            )
        )
        if intent.kind != "revoke":
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
    rendered = render_plan(compiled, intents=result.intents)
    if refused:
        rendered += "".join(f"\nRefused: {r}" for r in refused)
    return PlanPublic(
        text=text,
        ok=not compiled.conflicts and not refused,
        intents=planned,
        policies=[p.model_dump(mode="json") for p in compiled.policies],
        conflicts=[c.model_dump(mode="json") for c in compiled.conflicts],
        refusals=refused,
        warnings=warnings,
        notes=notes,
        rendered=rendered,
    )


def _public(session: Session, record: IntentRecord) -> IntentPublic:
    policies = session.exec(
        select(PolicyRecord)
        .where(PolicyRecord.intent_id == record.id)
        .order_by(col(PolicyRecord.id))
    )
    public = IntentPublic.model_validate(record, from_attributes=True)
    public.policies = [PolicyPublic.model_validate(p, from_attributes=True) for p in policies]
    if record.checks:
        public.satisfaction = round(record.checks_satisfied / record.checks, 4)
    return public


def history(*, session: Session, intent_id: int, limit: int = 500) -> list[IntentCheckPublic]:
    """The intent's verification checks, newest first (kept 7 days)."""
    if session.get(IntentRecord, intent_id) is None:
        raise NotFound(f"no intent {intent_id}")
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
    features: KernelFeatures | None = None,
) -> tuple[list[IntentPublic], list[int]]:
    """Plan ``text`` and store it: its intents as ``planned`` with their policies pending,
    the intents it revokes or replaces ended. Refuses (``IntentRefused``) what this gateway
    cannot enforce and (``IntentConflict``) while the plan has conflicts. Returns (the
    stored intents, the ids of the intents ended)."""
    authorize(actor, Permission.INTENTS_WRITE)
    planned = plan(session=session, text=text, replaces=replaces, features=features)
    if planned.refusals:
        raise IntentRefused(planned.refusals)
    if not planned.ok:
        raise IntentConflict([c["message"] for c in planned.conflicts])
    for intent_id in replaces:
        record = session.get(IntentRecord, intent_id)
        if record is None or record.status not in LIVE:
            raise InvalidInput(f"intent {intent_id} is not live, so it cannot be replaced")
    result = _parse(text)
    stored: list[IntentRecord] = []
    for item, intent in zip(planned.intents, result.intents, strict=True):
        if intent.kind == "revoke":
            continue
        record = IntentRecord(
            text=text,
            position=item.position,
            kind=intent.kind,
            parsed=intent.model_dump(mode="json"),
            explanation=intent.explanation,
            owner=actor.name,
            origin=actor.origin.value,
            replaces=list(replaces),
            expires_at=now + timedelta(seconds=intent.duration_s) if intent.duration_s else None,
            created_at=now,
            updated_at=now,
        )
        session.add(record)
        session.flush()
        for policy in planned.policies:
            if policy["index"] != item.position:
                continue
            session.add(
                PolicyRecord(
                    intent_id=record.id,
                    kind=policy["kind"],
                    device_id=policy["device_id"],
                    address=policy["address"],
                    spec=policy["spec"],
                    satisfied=policy["satisfied"],
                    criteria=policy["check"],
                    summary=policy["summary"],
                    updated_at=now,
                )
            )
        record_change(
            session=session,
            actor=actor,
            kind="intent.submitted",
            entity="intent",
            entity_id=str(record.id),
            summary=f"intent {record.id}: {record.explanation}",
        )
        stored.append(record)
    ended = sorted({i for p in planned.intents for i in p.revokes} | set(replaces))
    for intent_id in ended:
        _end(
            session,
            intent_id,
            actor=actor,
            now=now,
            why="replaced" if intent_id in replaces else "revoked",
        )
    session.commit()
    return [_public(session, r) for r in stored], ended


def _end(session: Session, intent_id: int, *, actor: Actor, now: datetime, why: str) -> None:
    record = session.get(IntentRecord, intent_id)
    if record is None:
        raise NotFound(f"no intent {intent_id}")
    if record.status not in LIVE:
        return
    record.status = IntentStatus.REVOKED
    record.ended_at = record.updated_at = now
    record.note = why
    session.add(record)
    for policy in session.exec(select(PolicyRecord).where(PolicyRecord.intent_id == intent_id)):
        policy.status = PolicyStatus.REMOVED
        policy.updated_at = now
        session.add(policy)
    record_change(
        session=session,
        actor=actor,
        kind="intent.revoked",
        entity="intent",
        entity_id=str(intent_id),
        summary=f"intent {intent_id} {why}",
    )


def revoke(*, session: Session, intent_id: int, actor: Actor, now: datetime) -> IntentPublic:
    """End a live intent; its policies are to be removed by enforcement."""
    authorize(actor, Permission.INTENTS_WRITE)
    record = session.get(IntentRecord, intent_id)
    if record is None:
        raise NotFound(f"no intent {intent_id}")
    if record.status not in LIVE:
        raise InvalidInput(f"intent {intent_id} is already {record.status}")
    _end(session, intent_id, actor=actor, now=now, why="revoked")
    session.commit()
    return _public(session, record)


def get_intent(*, session: Session, intent_id: int) -> IntentPublic:
    record = session.get(IntentRecord, intent_id)
    if record is None:
        raise NotFound(f"no intent {intent_id}")
    return _public(session, record)


def list_intents(
    *, session: Session, status: IntentStatus | None = None, limit: int = 100
) -> list[IntentPublic]:
    query = select(IntentRecord).order_by(col(IntentRecord.id).desc()).limit(limit)
    if status is not None:
        query = query.where(IntentRecord.status == status)
    return [_public(session, r) for r in session.exec(query)]


def intents_for_device(*, session: Session, device_id: str, limit: int = 50) -> list[IntentPublic]:
    """Intents with a policy on ``device_id``, newest first."""
    ids = session.exec(
        select(PolicyRecord.intent_id)
        .where(PolicyRecord.device_id == device_id)
        .distinct()
        .order_by(col(PolicyRecord.intent_id).desc())
        .limit(limit)
    ).all()
    return [_public(session, record) for i in ids if (record := session.get(IntentRecord, i))]
