"""Intents and policies as the enforcement engines read them: typed (``StoredPolicy``), never
as rows. Their status is changed only by ``intent_lifecycle``."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from core.intents import Intent, Schedule
from core.intents.policy import PolicyKind
from core.models import Device, IntentRecord, IntentStatus, PolicyRecord, PolicyStatus, StoredPolicy

LIVE = [s.value for s in IntentStatus if s.live]
NETWORK_KINDS = [k.value for k in PolicyKind if k.network]
DEVICE_KINDS = [k.value for k in PolicyKind if not k.network]
HELD = [PolicyStatus.PENDING.value, PolicyStatus.APPLIED.value, PolicyStatus.DRY_RUN.value]


class LiveIntent(BaseModel, frozen=True):
    """When a live intent holds: its schedule and when its duration runs out."""

    id: int
    schedule: Schedule | None
    expires_at: datetime | None
    replaces: list[int] = []
    """The intents it was submitted to replace."""


class LivePolicy(StoredPolicy, frozen=True):
    """A network policy a reconcile pass plans, with its intent's status."""

    intent_status: IntentStatus


def live_intents(*, session: Session) -> list[LiveIntent]:
    records = session.exec(
        select(IntentRecord)
        .where(col(IntentRecord.status).in_(LIVE))
        .order_by(col(IntentRecord.id))
    )
    return [
        LiveIntent(
            id=r.id,  # type: ignore[arg-type]
            schedule=Intent.model_validate(r.parsed).schedule,
            expires_at=r.expires_at,
            replaces=list(r.replaces or ()),
        )
        for r in records
    ]


def live_network_policies(*, session: Session, skip: Collection[int]) -> list[LivePolicy]:
    """The network policies of the live intents but those in ``skip`` (outside their
    window), still pending or applied. A device's address is its current one (DHCP may
    have moved it since the intent was planned); a bare address target keeps its own."""
    rows = session.exec(
        select(PolicyRecord, IntentRecord.status)
        .join(IntentRecord, col(IntentRecord.id) == col(PolicyRecord.intent_id))
        .where(
            col(IntentRecord.status).in_(LIVE),
            col(IntentRecord.id).not_in(list(skip)),
            col(PolicyRecord.kind).in_(NETWORK_KINDS),
            col(PolicyRecord.status).in_(HELD),
        )
        .order_by(col(PolicyRecord.id))
    ).all()
    device_ids = {p.device_id for p, _ in rows if p.device_id is not None}
    current_ip = {
        d.id: d.ip for d in session.exec(select(Device).where(col(Device.id).in_(device_ids)))
    }
    out = []
    for record, status in rows:
        address = current_ip.get(record.device_id) if record.device_id else record.address
        fields = {**dict(StoredPolicy.of(record)), "address": address}
        out.append(LivePolicy(**fields, intent_status=IntentStatus(status)))
    return out


def kept_classes(
    *,
    session: Session,
    policies: Collection[LivePolicy],
    intents: Collection[LiveIntent] | None = None,
) -> dict[int, int]:
    """Policy id → the class minor it takes over: a ``shape`` policy whose intent replaced
    an intent with a ``shape`` policy on the same device (or address) and direction that
    the kernel held keeps that class, so changing a limit changes one class in place. Read
    from the replaced policies' ``applied`` state, so it is the same on every pass.
    ``intents``: the live intents when already read (one query less)."""
    shapes = [p for p in policies if p.kind == PolicyKind.SHAPE]
    if not shapes:
        return {}
    wanted = {p.intent_id for p in shapes}
    if intents is not None:
        pairs = [(i.id, i.replaces) for i in intents if i.id in wanted]
    else:
        pairs = list(
            session.exec(
                select(IntentRecord.id, IntentRecord.replaces).where(
                    col(IntentRecord.id).in_(wanted)
                )
            )
        )
    replaces = {intent_id: list(replaced) for intent_id, replaced in pairs if replaced}
    if not replaces:
        return {}
    ended = session.exec(
        select(PolicyRecord).where(
            col(PolicyRecord.intent_id).in_({i for r in replaces.values() for i in r}),
            PolicyRecord.kind == PolicyKind.SHAPE.value,
            col(PolicyRecord.applied).is_not(None),
        )
    ).all()
    kept: dict[int, int] = {}
    for policy in shapes:
        for old in ended:
            applied = old.applied or {}
            if (
                old.intent_id in replaces.get(policy.intent_id, ())
                and (old.device_id, old.address if old.device_id is None else None)
                == (policy.device_id, policy.address if policy.device_id is None else None)
                and old.spec.get("direction") == getattr(policy.spec, "direction", None)
                and isinstance(applied.get("minor"), int)
                and applied["minor"] not in kept.values()
            ):
                kept[policy.id] = applied["minor"]
                break
    return kept


def pending_device_policies(*, session: Session, skip: Collection[int]) -> list[StoredPolicy]:
    """Device policies waiting for their next step, of the live intents but those in
    ``skip``."""
    rows = session.exec(
        select(PolicyRecord)
        .join(IntentRecord, col(IntentRecord.id) == col(PolicyRecord.intent_id))
        .where(
            col(IntentRecord.status).in_(LIVE),
            col(IntentRecord.id).not_in(list(skip)),
            col(PolicyRecord.kind).in_(DEVICE_KINDS),
            PolicyRecord.status == PolicyStatus.PENDING,
            col(PolicyRecord.device_id).is_not(None),
        )
        .order_by(col(PolicyRecord.intent_id), col(PolicyRecord.id))
    )
    return [StoredPolicy.of(r) for r in rows]


def active_policies(*, session: Session) -> dict[int, list[StoredPolicy]]:
    """The active intents (id → their policies not removed), in id order."""
    active = session.exec(
        select(IntentRecord.id)
        .where(IntentRecord.status == IntentStatus.ACTIVE)
        .order_by(col(IntentRecord.id))
    ).all()
    out: dict[int, list[StoredPolicy]] = {i: [] for i in active if i is not None}
    rows = session.exec(
        select(PolicyRecord)
        .where(
            col(PolicyRecord.intent_id).in_(list(out)),
            PolicyRecord.status != PolicyStatus.REMOVED,
        )
        .order_by(col(PolicyRecord.id))
    )
    for record in rows:
        out[record.intent_id].append(StoredPolicy.of(record))
    return out
