"""Device policies: what an intent asks of the devices themselves, carried out through the
command queue and counted as applied only when the device acknowledges it.

- ``device_config`` → ``update_config`` with the policy's params; ``device_command`` → the
  command; ``device_state`` → the registry's enabled flag (nothing is sent).
- The command's id is kept in the policy's ``applied`` field; each pass reads its state:
  accepted → ``applied``; rejected, error or unsupported → ``failed`` with the device's own
  reason; timed out → sent once more (a logged auto-adjustment, for a device that was busy
  or lost the message), and after that ``unverified`` with an ``enforcement.unacked``
  finding.
- A command waits in the queue while its device is offline, so an intent for a sleeping
  device is applied when the device comes back.
- Nothing is undone on revoke: Warden does not know the value the device had before.

Each step's outcome is recorded through ``intent_lifecycle``, which owns policy states.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session

from core.clock import to_ms
from core.errors import InvalidInput, NotFound
from core.intents.policy import DeviceCommandSpec, DeviceConfigSpec, DeviceStateSpec
from core.models import (
    Actor,
    Command,
    CommandState,
    Device,
    PolicyState,
    PolicyStatus,
    StoredPolicy,
)
from core.services import commands, devices, findings, intent_lifecycle
from core.services.changes import record_change

log = logging.getLogger(__name__)

RESENDS = 1
"""Times an unacknowledged command is sent again before the policy is ``unverified``."""
ACK_TIMEOUT_S = 60
UNACKED_RULE = "enforcement.unacked"
WAITING_FOR_ACK = "waiting for the device to acknowledge"
_DEVICE_REFUSED = (CommandState.REJECTED, CommandState.ERROR, CommandState.UNSUPPORTED)


def _command_of(policy: StoredPolicy) -> tuple[str, dict[str, Any]]:
    match policy.spec:
        case DeviceConfigSpec(params=params):
            return "update_config", dict(params)
        case DeviceCommandSpec(cmd=cmd, params=params):
            return cmd, dict(params)
    raise ValueError(f"policy {policy.id} ({policy.kind}) sends no command")


def sync_device_policy(
    session: Session, policy: StoredPolicy, *, actor: Actor, now: datetime
) -> None:
    """One step for one pending device policy (the caller commits)."""
    if policy.status != PolicyStatus.PENDING or policy.device_id is None:
        return

    if isinstance(policy.spec, DeviceStateSpec):
        enabled = policy.spec.enabled
        try:
            devices.set_enabled(
                session=session, device_id=policy.device_id, enabled=enabled, actor=actor
            )
        except NotFound as exc:
            _set(session, policy, PolicyStatus.FAILED, str(exc), None, now)
            return
        _set(session, policy, PolicyStatus.APPLIED, None, {"enabled": enabled}, now)
        return
    applied = dict(policy.applied or {})
    command = session.get(Command, applied["command_id"]) if "command_id" in applied else None
    if command is None:
        _send(session, policy, applied, actor=actor, now=now)
        return
    state = CommandState(command.state)
    if state == CommandState.ACCEPTED:
        applied["acked_at_ms"] = to_ms(command.finished_at or now)
        _set(session, policy, PolicyStatus.APPLIED, None, applied, now)
    elif state in _DEVICE_REFUSED:
        reason = f"{policy.device_id} answered {state.value}: {command.detail or 'no reason given'}"
        _set(session, policy, PolicyStatus.FAILED, reason[:500], applied, now)
    elif state == CommandState.TIMED_OUT:
        if applied.get("sends", 1) <= RESENDS:
            _send(session, policy, applied, actor=actor, now=now, resend=True)
        else:
            _unacked(session, policy, applied, now)
    else:
        online = session.get(Device, policy.device_id)
        waiting = WAITING_FOR_ACK
        if online is not None and online.status != "online":
            waiting = "queued until the device is online"
        _set(session, policy, PolicyStatus.PENDING, waiting, applied, now)


def _set(
    session: Session,
    policy: StoredPolicy,
    status: PolicyStatus,
    error: str | None,
    applied: dict[str, Any] | None,
    now: datetime,
) -> None:
    state = PolicyState(status=status, error=error, applied=applied)
    intent_lifecycle.set_policy_state(session=session, policy_id=policy.id, state=state, now=now)


def _send(
    session: Session,
    policy: StoredPolicy,
    applied: dict[str, Any],
    *,
    actor: Actor,
    now: datetime,
    resend: bool = False,
) -> None:
    cmd, params = _command_of(policy)
    try:
        queued = commands.queue_command(
            session=session,
            device_ref=str(policy.device_id),
            cmd=cmd,
            params=params,
            actor=actor,
            timeout_s=ACK_TIMEOUT_S,
        )
    except (InvalidInput, NotFound) as exc:
        error = f"cannot send {cmd}: {exc}"[:500]
        _set(session, policy, PolicyStatus.FAILED, error, applied or None, now)
        return
    applied = {**applied, "command_id": queued.id, "sends": applied.get("sends", 0) + 1}
    if resend:
        log.warning("policy %s: %s unacknowledged, sent once more", policy.id, cmd)
        record_change(
            session=session,
            actor=actor,
            kind="policy.resent",
            entity="policy",
            entity_id=str(policy.id),
            summary=f"{cmd} to {policy.device_id} was not acknowledged; sent once more",
        )
    _set(session, policy, PolicyStatus.PENDING, WAITING_FOR_ACK, applied, now)


def _unacked(
    session: Session, policy: StoredPolicy, applied: dict[str, Any], now: datetime
) -> None:
    cmd, _ = _command_of(policy)
    sends = applied.get("sends", 1)
    reason = f"{policy.device_id} never acknowledged {cmd} (sent {sends} times)"
    _set(session, policy, PolicyStatus.UNVERIFIED, reason, applied, now)
    findings.raise_finding(
        session=session,
        firing=findings.FindingIn(
            rule_id=UNACKED_RULE,
            severity="medium",
            key=f"policy:{policy.id}",
            device_id=policy.device_id,
            ts_ms=to_ms(now),
            summary=f"intent {policy.intent_id}: {reason}",
            details={"policy_id": policy.id, "intent_id": policy.intent_id, "command": cmd},
        ),
        now=now,
    )
