"""``/commands`` and ``/devices/{id}/commands``: commands queued for devices."""

from __future__ import annotations

from fastapi import APIRouter, status

from core.models import CommandPublic, CommandState
from core.services import commands
from web.api.deps import CanRead, CanSendCommands, CoreDep, PagingDep
from web.api.schemas import CommandIn, Page

router = APIRouter(tags=["commands"])


@router.get("/commands", response_model=Page[CommandPublic])
def list_commands(
    core: CoreDep,
    actor: CanRead,
    paging: PagingDep,
    device: str | None = None,
    state: CommandState | None = None,
) -> Page[CommandPublic]:
    """Newest first."""
    with core.db.reader() as session:
        return commands.list_commands(
            session=session,
            device_ref=device,
            state=state,
            offset=paging.offset,
            limit=paging.limit,
        )


@router.get("/commands/{command_id}", response_model=CommandPublic)
def get_command(command_id: str, core: CoreDep, actor: CanRead) -> CommandPublic:
    with core.db.reader() as session:
        return commands.get_command(session=session, cmd_id=command_id)


@router.post(
    "/devices/{device_id}/commands",
    response_model=CommandPublic,
    status_code=status.HTTP_201_CREATED,
)
def queue_command(
    device_id: str, body: CommandIn, core: CoreDep, actor: CanSendCommands
) -> CommandPublic:
    """Validate a command against the device protocol and queue it; the agent sends it
    when the device is online."""
    with core.db.writer() as session:
        return commands.queue_command(
            session=session,
            device_ref=device_id,
            cmd=body.cmd,
            params=body.params,
            actor=actor,
            timeout_s=body.timeout_s,
        )
