"""The device command queue: pending → sent → accepted / rejected / error / unsupported /
timed out. Commands wait while their device is offline and go out when it returns."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from core.errors import InvalidInput, NotFound
from core.models import (
    Actor,
    Command,
    CommandPublic,
    CommandState,
    Device,
    DeviceStatus,
)
from core.permissions import Permission, authorize
from core.protocol import ProtocolError, validate_command
from core.services.changes import record_change
from core.services.devices import find_device
from core.services.paging import Page, page_of, window

DEFAULT_TIMEOUT_S = 60
RESTARTS = ("reboot", "factory_reset")
"""Commands after which the device goes away and comes back: the rest of its queue waits."""
RESTART_HOLD_S = 300
"""How long the queue waits for a device that accepted a restart to be seen starting again;
after that its commands go out as usual (and wait while it is offline)."""


def _public(command: Command) -> CommandPublic:
    return CommandPublic.model_validate(command, from_attributes=True)


def queue_command(
    *,
    session: Session,
    device_ref: str,
    cmd: str,
    params: dict | None = None,
    actor: Actor,
    timeout_s: int = DEFAULT_TIMEOUT_S,
) -> CommandPublic:
    """Validate a command against the protocol and queue it for the device."""
    authorize(actor, Permission.COMMANDS_SEND)
    device = find_device(session, device_ref)
    try:
        normalised = validate_command(cmd, dict(params or {}))
    except ProtocolError as exc:
        raise InvalidInput(f"{cmd}: {exc.detail}") from exc
    if not 1 <= timeout_s <= 86_400:
        raise InvalidInput("timeout must be between 1 s and 1 day")
    command = Command(
        id=str(uuid.uuid4()),
        device_id=device.id,
        cmd=cmd,
        params=normalised,
        actor=actor.name,
        timeout_s=timeout_s,
    )
    session.add(command)
    record_change(
        session=session,
        actor=actor,
        kind="command.queued",
        entity="command",
        entity_id=command.id,
        summary=f"{cmd} queued for {device.id}",
    )
    session.commit()
    return _public(command)


def get_command(*, session: Session, cmd_id: str) -> CommandPublic:
    command = session.get(Command, cmd_id)
    if command is None:
        raise NotFound(f"no command {cmd_id}")
    return _public(command)


def list_commands(
    *,
    session: Session,
    device_ref: str | None = None,
    state: CommandState | None = None,
    offset: int = 0,
    limit: int = 100,
) -> Page[CommandPublic]:
    """Commands, newest first."""
    query = select(Command).order_by(col(Command.created_at).desc(), col(Command.id).desc())
    if device_ref is not None:
        query = query.where(Command.device_id == find_device(session, device_ref).id)
    if state is not None:
        query = query.where(Command.state == state)
    rows = session.exec(window(query, offset=offset, limit=limit)).all()
    return page_of([_public(c) for c in rows], offset=offset, limit=limit)


def due_commands(*, session: Session, now: datetime, limit: int = 100) -> list[CommandPublic]:
    """Pending commands whose device is online and not restarting, oldest first. A device
    restarts from the moment a ``reboot`` or ``factory_reset`` is sent until, after its
    ack, Warden sees it start again (a new boot) — commands sent back to back in that
    window reach a device that is going away and time out."""
    query = (
        select(Command)
        .join(Device, col(Device.id) == col(Command.device_id))
        .where(Command.state == CommandState.PENDING, Device.status == DeviceStatus.ONLINE)
        .order_by(col(Command.created_at))
        .limit(limit)
    )
    pending = list(session.exec(query))
    held = restarting(session=session, device_ids={c.device_id for c in pending}, now=now)
    due = []
    for command in pending:
        if command.device_id in held:
            continue
        due.append(_public(command))
        if command.cmd in RESTARTS:  # what comes after it waits for the restart
            held.add(command.device_id)
    return due


def restarting(*, session: Session, device_ids: set[str], now: datetime) -> set[str]:
    """Of ``device_ids``, those whose latest restart command is sent and not answered, or
    accepted and the device not yet seen starting again (for up to ``RESTART_HOLD_S``)."""
    if not device_ids:
        return set()
    latest: dict[str, Command] = {}
    for command in session.exec(
        select(Command)
        .where(
            col(Command.device_id).in_(device_ids),
            col(Command.cmd).in_(RESTARTS),
            col(Command.state).in_([CommandState.SENT, CommandState.ACCEPTED]),
        )
        .order_by(col(Command.sent_at))
    ):
        latest[command.device_id] = command
    if not latest:
        return set()
    booted = dict(
        session.exec(
            select(Device.id, Device.booted_at).where(col(Device.id).in_(list(latest)))
        ).all()
    )
    held = set()
    for device_id, command in latest.items():
        if command.state == CommandState.SENT:
            held.add(device_id)
            continue
        acked = command.finished_at
        if acked is None or now - acked > timedelta(seconds=RESTART_HOLD_S):
            continue
        started = booted.get(device_id)
        if started is None or started < acked:
            held.add(device_id)
    return held


def claim_pending(*, session: Session, cmd_id: str) -> CommandPublic | None:
    """Lock a pending command for sending, in the session's transaction: None when it is no
    longer pending or another agent holds it (``FOR UPDATE SKIP LOCKED`` on PostgreSQL;
    SQLite has one writer at a time and ignores it). The caller publishes it and calls
    ``mark_sent`` in the same transaction, so the claim lasts one publish."""
    command = session.exec(
        select(Command)
        .where(Command.id == cmd_id, Command.state == CommandState.PENDING)
        .with_for_update(skip_locked=True)
    ).first()
    return None if command is None else _public(command)


def mark_sent(*, session: Session, cmd_id: str, now: datetime) -> CommandPublic:
    command = session.get(Command, cmd_id)
    if command is None:
        raise NotFound(f"no command {cmd_id}")
    if command.state == CommandState.PENDING:  # a plain str when loaded from the table
        command.state = CommandState.SENT
        command.sent_at = now
        session.add(command)
        record_change(
            session=session,
            actor=Actor.system("collector"),
            kind="command.sent",
            entity="command",
            entity_id=command.id,
            summary=f"{command.cmd} sent to {command.device_id}",
        )
        session.commit()
    return _public(command)


def expire_commands(*, session: Session, now: datetime) -> list[CommandPublic]:
    """Sent commands that got no acknowledgement within their timeout become timed out."""
    expired = []
    for command in session.exec(select(Command).where(Command.state == CommandState.SENT)):
        if command.sent_at is not None and now - command.sent_at > timedelta(
            seconds=command.timeout_s
        ):
            command.state = CommandState.TIMED_OUT
            command.finished_at = now
            command.detail = f"no acknowledgement within {command.timeout_s} s"
            session.add(command)
            record_change(
                session=session,
                actor=Actor.system("scheduler"),
                kind="command.timed_out",
                entity="command",
                entity_id=command.id,
                summary=f"{command.cmd} on {command.device_id}: no answer in {command.timeout_s} s",
            )
            expired.append(command)
    if expired:
        session.commit()
    return [_public(c) for c in expired]
