"""Every status change of an intent and its policies, in one place.

- **Submitted**: an intent is stored ``planned`` with its policies ``pending``
  (``record_submitted``, from ``services.intents.submit``).
- **Enforced**: after a reconcile pass its network policies are ``applied``, ``pending``
  (waiting, with the reason) or ``failed`` (``record_network_states``); outside its schedule
  they wait (``hold_back``); a device policy moves on with the device's answer
  (``set_policy_state``, from device configuration); then each live intent settles as
  ``active``, ``scheduled`` or ``failed`` (``settle``).
- **Ended**: ``revoked`` or replaced (``end``, from ``services.intents``), ``expired`` when its
  duration ran out (``expire_due``, from the reconciler); its policies are ``removed``.
- **Verified**: a check's verdicts, the check history, the satisfaction counters and the
  violated streak with its ``enforcement.violated`` finding (``record_check``, from the
  verifier; ``prune_checks`` keeps a week).

Nothing else writes these fields. ``expire_due`` is a unit of work and commits; the others
are steps of the caller's unit of work (a submit, a revoke, a reconcile or verification
pass) and add to its transaction, like ``record_change``: the caller commits.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Literal

from sqlmodel import Session, col, delete, select

from core.clock import to_ms
from core.errors import NotFound
from core.intents import Intent
from core.intents.policy import Policy
from core.models import (
    Actor,
    IntentCheck,
    IntentCheckIn,
    IntentRecord,
    IntentStatus,
    PolicyRecord,
    PolicyState,
    PolicyStatus,
    Verdict,
)
from core.services import findings
from core.services.changes import record_change
from core.services.policies import HELD, LIVE, NETWORK_KINDS

VIOLATED_RULE = "enforcement.violated"
DRY_RUN_DONE = frozenset({PolicyStatus.APPLIED, PolicyStatus.DRY_RUN})
"""Network policy states of an intent whose enforcement pass is over in a dry run."""
HISTORY_DAYS = 7
REASON_MAX = 500


def record_submitted(
    *,
    session: Session,
    text: str,
    position: int,
    intent: Intent,
    policies: Sequence[Policy],
    replaces: Sequence[int],
    actor: Actor,
    now: datetime,
) -> int:
    """Store one intent of a sentence as ``planned`` with its policies ``pending``; returns
    its id."""
    record = IntentRecord(
        text=text,
        position=position,
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
    assert record.id is not None
    for policy in policies:
        session.add(
            PolicyRecord(
                intent_id=record.id,
                kind=policy.kind,
                device_id=policy.device_id,
                address=policy.address,
                spec=policy.spec.model_dump(mode="json"),
                satisfied=policy.satisfied,
                criteria=policy.check,
                summary=policy.summary,
                updated_at=now,
            )
        )
    _change(session, actor, "submitted", record.id, f"intent {record.id}: {record.explanation}")
    return record.id


def end(
    *,
    session: Session,
    intent_id: int,
    why: Literal["revoked", "replaced"],
    actor: Actor,
    now: datetime,
) -> None:
    """A live intent ends as ``revoked`` (``note`` says whether it was revoked or
    replaced); its policies are to be removed by enforcement. An intent that is no longer
    live is left as it is."""
    record = session.get(IntentRecord, intent_id)
    if record is None:
        raise NotFound(f"no intent {intent_id}")
    if record.status not in LIVE:
        return
    _close(session, record, IntentStatus.REVOKED, why, now)
    _change(session, actor, "revoked", intent_id, f"intent {intent_id} {why}")


def expire_due(*, session: Session, actor: Actor, now: datetime) -> list[int]:
    """Live intents whose duration ran out end as ``expired``; returns their ids."""
    due = session.exec(
        select(IntentRecord).where(
            col(IntentRecord.status).in_(LIVE),
            col(IntentRecord.expires_at).is_not(None),
            col(IntentRecord.expires_at) <= now,
        )
    ).all()
    for record in due:
        _close(session, record, IntentStatus.EXPIRED, "its duration ran out", now)
        _change(session, actor, "expired", record.id, f"intent {record.id} expired")
    session.commit()
    return [r.id for r in due]  # type: ignore[misc]


def record_network_states(
    *, session: Session, states: Mapping[int, PolicyState], now: datetime
) -> None:
    """How a reconcile pass left the network policies it planned (policy id → state)."""
    for policy_id, state in states.items():
        if (policy := session.get(PolicyRecord, policy_id)) is not None:
            _set(session, policy, state, now)


def hold_back(*, session: Session, closed: Mapping[int, str], now: datetime) -> None:
    """The network policies of live intents outside their window wait (intent id → why)."""
    if not closed:
        return
    policies = session.exec(
        select(PolicyRecord).where(
            col(PolicyRecord.intent_id).in_(list(closed)),
            col(PolicyRecord.kind).in_(NETWORK_KINDS),
            col(PolicyRecord.status).in_(HELD),
        )
    )
    for policy in policies:
        _set(
            session,
            policy,
            PolicyState(status=PolicyStatus.PENDING, error=closed[policy.intent_id]),
            now,
        )


def set_policy_state(
    *, session: Session, policy_id: int, state: PolicyState, now: datetime
) -> None:
    """One policy moves on (a device policy with the device's answer)."""
    policy = session.get(PolicyRecord, policy_id)
    if policy is None:
        raise NotFound(f"no policy {policy_id}")
    _set(session, policy, state, now)


def settle(*, session: Session, closed: Collection[int], actor: Actor, now: datetime) -> None:
    """Each live intent takes the status its policies say: outside its window (``closed``)
    → scheduled; a network policy failed → failed; every network policy applied and every
    device policy answered (or given up on) → active; otherwise it stays as it is. A device
    that refuses fails its policy but not the intent: verification reports it as violated,
    with the device's reason."""
    live = session.exec(select(IntentRecord).where(col(IntentRecord.status).in_(LIVE))).all()
    if not live:
        return
    by_intent: dict[int, list[PolicyRecord]] = {}
    for policy in session.exec(
        select(PolicyRecord)
        .where(col(PolicyRecord.intent_id).in_([r.id for r in live]))
        .order_by(col(PolicyRecord.id))
    ):
        by_intent.setdefault(policy.intent_id, []).append(policy)
    for record in live:
        policies = by_intent.get(record.id, [])  # type: ignore[arg-type]
        network = {p.status for p in policies if p.kind in NETWORK_KINDS}
        device = {p.status for p in policies if p.kind not in NETWORK_KINDS}
        answered = PolicyStatus.PENDING not in device
        if record.id in closed:
            new, verb = IntentStatus.SCHEDULED, "scheduled"
        elif PolicyStatus.FAILED in network:
            new, verb = IntentStatus.FAILED, "failed"
        elif PolicyStatus.DRY_RUN in network and network <= DRY_RUN_DONE and answered:
            new, verb = IntentStatus.PLANNED, "recorded_dry_run"
        elif network <= {PolicyStatus.APPLIED} and answered:
            new, verb = IntentStatus.ACTIVE, "activated"
        else:
            continue
        if new == IntentStatus.PLANNED:
            if _unverifiable_dry_run(record, policies, now) or record.status != new:
                record.status = new
                session.add(record)
                _change(
                    session,
                    actor,
                    verb,
                    record.id,
                    f"intent {record.id}: recorded, not applied (dry run)",
                )  # type: ignore[arg-type]
            continue
        if record.status == new:
            continue
        record.status, record.updated_at = new, now
        if new == IntentStatus.FAILED:
            record.ended_at = now
            record.note = next((p.last_error for p in policies if p.last_error), None)
        session.add(record)
        _change(session, actor, verb, record.id, f"intent {record.id} {verb}")  # type: ignore[arg-type]


def _unverifiable_dry_run(
    record: IntentRecord, policies: list[PolicyRecord], now: datetime
) -> bool:
    """An intent recorded in a dry run cannot be verified: its verdict says so (without a
    check counted, so no satisfaction ratio is made of it). True when this changed it."""
    reason = next((p.last_error for p in policies if p.status == PolicyStatus.DRY_RUN), None)
    if (record.verdict, record.verdict_reason) == (Verdict.UNVERIFIABLE, reason):
        return False
    record.verdict, record.verdict_reason, record.updated_at = Verdict.UNVERIFIABLE, reason, now
    return True


def record_check(
    *, session: Session, check: IntentCheckIn, violations_for_finding: int, now: datetime
) -> None:
    """Record one verification of an active intent: its policies' verdicts and measures,
    its own verdict with the reason, a row of its history, the counters behind its
    satisfaction ratio, and its violated streak: ``violations_for_finding`` violated checks
    in a row raise an ``enforcement.violated`` finding, which a satisfied check resolves."""
    record = session.get(IntentRecord, check.intent_id)
    if record is None:
        raise NotFound(f"no intent {check.intent_id}")
    for part in check.policies:
        if (policy := session.get(PolicyRecord, part.policy_id)) is not None:
            policy.verdict, policy.measured = part.verdict, part.measured
            session.add(policy)
    reason = check.reason[:REASON_MAX]
    record.verdict, record.verdict_reason, record.checked_at = check.verdict, reason, now
    record.checks += 1
    record.checks_satisfied += check.verdict == Verdict.SATISFIED
    violated = check.verdict == Verdict.VIOLATED
    record.violated_streak = record.violated_streak + 1 if violated else 0
    session.add(record)
    session.add(
        IntentCheck(intent_id=check.intent_id, at=now, verdict=check.verdict, reason=reason)
    )
    key = f"intent:{record.id}"
    if record.violated_streak >= violations_for_finding:
        findings.raise_finding(
            session=session,
            firing=findings.FindingIn(
                rule_id=VIOLATED_RULE,
                severity="high",
                key=key,
                ts_ms=to_ms(now),
                summary=f"intent {record.id} ({record.explanation}) violated "
                f"{record.violated_streak} checks in a row: {check.reason}"[:REASON_MAX],
                details={"intent_id": record.id, "reason": check.reason},
            ),
            now=now,
        )
    elif check.verdict == Verdict.SATISFIED:
        findings.resolve_cleared(session=session, rule_id=VIOLATED_RULE, key=key, now=now)


def prune_checks(*, session: Session, now: datetime) -> None:
    """The check history is kept ``HISTORY_DAYS``; the counters behind the ratio are not."""
    session.exec(
        delete(IntentCheck).where(col(IntentCheck.at) < now - timedelta(days=HISTORY_DAYS))
    )


def _set(session: Session, policy: PolicyRecord, state: PolicyState, now: datetime) -> None:
    """``updated_at`` moves only on a change, so a steady pass writes nothing."""
    if (policy.status, policy.last_error, policy.applied) != (
        state.status,
        state.error,
        state.applied,
    ):
        policy.status, policy.last_error, policy.applied = state.status, state.error, state.applied
        policy.updated_at = now
        session.add(policy)


def _close(
    session: Session, record: IntentRecord, status: IntentStatus, note: str, now: datetime
) -> None:
    record.status = status
    record.ended_at = record.updated_at = now
    record.note = note
    session.add(record)
    for policy in session.exec(select(PolicyRecord).where(PolicyRecord.intent_id == record.id)):
        policy.status, policy.updated_at = PolicyStatus.REMOVED, now
        session.add(policy)


def _change(session: Session, actor: Actor, verb: str, intent_id: int, summary: str) -> None:
    record_change(
        session=session,
        actor=actor,
        kind=f"intent.{verb}",
        entity="intent",
        entity_id=str(intent_id),
        summary=summary,
    )
