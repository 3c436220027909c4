"""Actions: what playbooks propose about findings, and their lifecycle.

proposed → approved → running → succeeded | failed, or proposed → rejected. ``auto``
playbooks skip the approval (approved by ``auto``); a finding raised during a maintenance
window gets its actions recorded as ``skipped``; a step whose placeholder value does not
pass its check makes the action ``failed`` before anything runs. Running the steps is
``enforcement.action_runner``'s job; this module only moves states, each move one transaction.

What the steps printed (a diagnostic's output) is read only by the roles that may approve
actions (``Permission.ACTIONS_OUTPUT``): the readers (``get_action``, ``list_actions``) take
the reader and, for a viewer, leave each result's ``output`` out and say why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.models import Action, ActionPublic, ActionState, Actor, Device, Finding
from core.models.action import FINAL_STATES
from core.permissions import PERMISSIONS, Permission, allowed, authorize
from core.playbooks import Mode, Playbook, render_steps
from core.services.changes import record_change
from core.services.paging import Page, page_of, window

MAX_REASON = 500


def _public(action: Action) -> ActionPublic:
    return ActionPublic.model_validate(action, from_attributes=True)


def _for(reader: Actor, action: Action) -> ActionPublic:
    """``action`` as ``reader`` may see it: without the steps' output unless their role
    may approve actions."""
    public = _public(action)
    if allowed(reader.role, Permission.ACTIONS_OUTPUT) or not public.results:
        return public
    need = PERMISSIONS[Permission.ACTIONS_OUTPUT].value
    return public.model_copy(
        update={
            "results": [{k: v for k, v in r.items() if k != "output"} for r in public.results],
            "outputs_hidden": f"step output is shown to the {need} role and above "
            f"({reader.name} is a {reader.role})",
        }
    )


def _change(session: Session, actor: Actor, action: Action, verb: str, summary: str) -> None:
    record_change(
        session=session,
        actor=actor,
        kind=f"action.{verb}",
        entity="action",
        entity_id=str(action.id),
        summary=summary,
    )


def placeholder_values(session: Session, finding: Finding) -> dict[str, Any]:
    """What a playbook may fill in for ``finding``: what the rule captured (the client's
    MAC, the attacker's IP, the interface) first, then the device's registered identity."""
    captures: Mapping[str, Any] = finding.details.get("captures") or {}
    device = session.get(Device, finding.device_id) if finding.device_id else None
    return {
        "finding": finding.id,
        "rule": finding.rule_id,
        "severity": finding.severity,
        "summary": finding.summary,
        "device": finding.device_id,
        "host": captures.get("host"),
        "interface": captures.get("interface") or captures.get("iface"),
        "mac": captures.get("mac") or (device.mac if device else None),
        "ip": captures.get("ip") or (device.ip if device else None),
    }


def propose_for_finding(
    *,
    session: Session,
    finding: Finding,
    playbooks: Sequence[Playbook],
    now: datetime,
    suppressed: bool = False,
) -> list[Action]:
    """Add the actions of the playbooks that match ``finding`` to the session (the caller
    commits, with the finding). A playbook with an action still open for this finding
    proposes nothing new."""
    device = session.get(Device, finding.device_id) if finding.device_id else None
    matching = [
        p
        for p in playbooks
        if p.matches(
            rule_id=finding.rule_id,
            severity=finding.severity,
            device_type=device.type if device else None,
        )
    ]
    if not matching:
        return []
    open_for = set(
        session.exec(
            select(Action.playbook_id).where(
                Action.finding_id == finding.id,
                col(Action.state).not_in([str(s) for s in FINAL_STATES]),
            )
        )
    )
    values = placeholder_values(session, finding)
    created: list[Action] = []
    for playbook in matching:
        if playbook.id in open_for:
            continue
        action = _new_action(playbook, finding, values, now, suppressed=suppressed)
        session.add(action)
        session.flush()
        _change(
            session,
            Actor.system("playbooks"),
            action,
            str(action.state),
            f"{playbook.id} for finding {finding.id}: {action.state}"
            + (f" ({action.reason})" if action.reason else ""),
        )
        created.append(action)
    return created


def _new_action(
    playbook: Playbook,
    finding: Finding,
    values: Mapping[str, Any],
    now: datetime,
    *,
    suppressed: bool,
) -> Action:
    action = Action(
        playbook_id=playbook.id,
        finding_id=finding.id,
        device_id=finding.device_id,
        mode=str(playbook.mode),
        title=f"{playbook.name}: {finding.summary}"[:500],
        steps=[step.model_dump(mode="json") for step in playbook.steps],
        proposed_at=now,
    )
    if suppressed:
        action.state = ActionState.SKIPPED
        action.reason = "finding raised during a maintenance window"
        return action
    try:
        action.steps = render_steps(playbook, values)
    except InvalidInput as exc:  # a refused or missing placeholder: nothing will run
        action.state = ActionState.FAILED
        action.reason = f"refused before running: {exc}"[:MAX_REASON]
        action.finished_at = now
        return action
    if playbook.mode == Mode.AUTO:
        action.state = ActionState.APPROVED
        action.decided_by = "auto"
        action.decided_at = now
    return action


def _get(session: Session, action_id: int) -> Action:
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(f"no action {action_id}; `warden actions list` shows them")
    return action


def _decide(
    session: Session, action_id: int, actor: Actor, now: datetime, state: ActionState
) -> Action:
    action = _get(session, action_id)
    if action.state != ActionState.PROPOSED:
        raise InvalidInput(
            f"action {action_id} is {action.state}; only a proposed action can be "
            f"{'approved' if state == ActionState.APPROVED else 'rejected'}"
        )
    action.state = state
    action.decided_by = actor.name
    action.decided_at = now
    return action


def approve(*, session: Session, action_id: int, actor: Actor, now: datetime) -> ActionPublic:
    authorize(actor, Permission.ACTIONS_DECIDE)
    action = _decide(session, action_id, actor, now, ActionState.APPROVED)
    session.add(action)
    _change(
        session, actor, action, "approved", f"action {action_id} ({action.playbook_id}) approved"
    )
    session.commit()
    return _public(action)


def reject(
    *, session: Session, action_id: int, actor: Actor, now: datetime, reason: str = ""
) -> ActionPublic:
    authorize(actor, Permission.ACTIONS_DECIDE)
    action = _decide(session, action_id, actor, now, ActionState.REJECTED)
    action.reason = (reason.strip() or "rejected")[:MAX_REASON]
    action.finished_at = now
    session.add(action)
    _change(
        session,
        actor,
        action,
        "rejected",
        f"action {action_id} ({action.playbook_id}) rejected: {action.reason}",
    )
    session.commit()
    return _public(action)


def claim_approved(*, session: Session, now: datetime, limit: int = 20) -> list[ActionPublic]:
    """Move approved actions to ``running`` and return them, oldest first. Rows another
    agent is claiming at the same moment are skipped (``FOR UPDATE SKIP LOCKED`` on
    PostgreSQL; ignored by SQLite's single writer), so no action runs twice."""
    rows = list(
        session.exec(
            select(Action)
            .where(Action.state == ActionState.APPROVED)
            .order_by(col(Action.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    for action in rows:
        action.state = ActionState.RUNNING
        action.started_at = now
        session.add(action)
    session.commit()
    return [_public(a) for a in rows]


def finish(
    *,
    session: Session,
    action_id: int,
    results: list[dict[str, Any]],
    now: datetime,
) -> ActionPublic:
    """Record the step results of a running action: succeeded when every step was ok."""
    action = _get(session, action_id)
    ok = bool(results) and all(r.get("ok") for r in results) and len(results) == len(action.steps)
    action.state = ActionState.SUCCEEDED if ok else ActionState.FAILED
    action.results = results
    action.finished_at = now
    if not ok:
        failed = next((r for r in results if not r.get("ok")), None)
        action.reason = (failed or {}).get("error", "not every step ran")[:MAX_REASON]
    session.add(action)
    _change(
        session,
        Actor.system("playbooks"),
        action,
        str(action.state),
        f"action {action_id} ({action.playbook_id}) {action.state}"
        + (f": {action.reason}" if action.reason else ""),
    )
    session.commit()
    return _public(action)


def fail_interrupted(*, session: Session, now: datetime) -> int:
    """Actions left ``running`` by a process that stopped mid-way: marked failed, not rerun
    (a step may have happened; running it twice is worse than asking again)."""
    rows = list(session.exec(select(Action).where(Action.state == ActionState.RUNNING)))
    for action in rows:
        action.state = ActionState.FAILED
        action.reason = "interrupted: Warden stopped while it ran; not retried"
        action.finished_at = now
        session.add(action)
    session.commit()
    return len(rows)


def get_action(*, session: Session, action_id: int, reader: Actor) -> ActionPublic:
    """One action as ``reader`` may see it (step output only for the roles that may
    approve actions)."""
    return _for(reader, _get(session, action_id))


def list_actions(
    *,
    session: Session,
    reader: Actor,
    state: str | None = None,
    finding_id: int | None = None,
    offset: int = 0,
    limit: int = 200,
) -> Page[ActionPublic]:
    """Actions, newest first, as ``reader`` may see them (see ``get_action``)."""
    if state is not None and state not in {s.value for s in ActionState}:
        raise InvalidInput(
            f"state {state!r} is not one of {', '.join(s.value for s in ActionState)}"
        )
    query = select(Action).order_by(col(Action.id).desc())
    if state is not None:
        query = query.where(Action.state == state)
    if finding_id is not None:
        query = query.where(Action.finding_id == finding_id)
    rows = session.exec(window(query, offset=offset, limit=limit)).all()
    return page_of([_for(reader, a) for a in rows], offset=offset, limit=limit)
