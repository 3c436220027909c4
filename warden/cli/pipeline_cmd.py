"""``warden deadletter`` and ``warden command``: what the pipeline rejected, and commands
to devices."""

from __future__ import annotations

import click

from core.models import CommandState
from core.protocol.command_catalog import CATALOG, COMMAND_NAMES, command_params
from core.services import commands as command_service
from core.services.deadletters import list_dead_letters
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_json, print_table


@click.group()
def deadletter() -> None:
    """Messages that could not be used (kept, never silently dropped)."""


@deadletter.command("list")
@click.option("--reason", help="Only this reason, e.g. not_json.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@pass_ctx
def deadletter_list(state: CliContext, reason: str | None, limit: int, as_json: bool) -> None:
    """The newest dead letters: when, topic, reason, size and the first bytes."""
    with state.read_core.db.reader() as session:
        found = list_dead_letters(session=session, reason=reason, limit=limit).items
    if as_json:
        print_json(
            [
                {
                    **d.model_dump(mode="json", exclude={"head"}),
                    "head": d.head.decode("utf-8", errors="replace"),
                }
                for d in found
            ]
        )
        return
    if not found:
        click.echo("no dead letters")
        return
    print_table(
        ["received", "reason", "topic", "size", "detail", "head"],
        [
            (
                d.received_at,
                d.reason,
                d.topic,
                d.size,
                d.detail,
                d.head[:40].decode("utf-8", errors="replace"),
            )
            for d in found
        ],
    )


@click.group()
def command() -> None:
    """Send commands to devices and follow their state."""


def _catalog_help() -> str:
    """The catalog, for ``command send --help`` (``\\b``: click keeps the lines as they are)."""
    width = max(len(spec.name) for spec in CATALOG)
    lines = ["\b", "Commands and their parameters:"]
    for spec in CATALOG:
        lines.append(f"  {spec.name:<{width}}  {spec.description}")
        for param in spec.params:
            required = " (required)" if param.required else ""
            lines.append(f"      {param.name}{required}: {param.description}")
        if spec.other_params:
            lines.append("      any other KEY: a device-specific setting, passed on as given")
    return "\n".join(lines)


@command.command("send", epilog=_catalog_help())
@click.argument("device")
@click.argument("cmd", type=click.Choice(COMMAND_NAMES))
@click.option(
    "--param",
    "-p",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A parameter; VALUE is JSON or a bare word, a version or URL as typed "
    "(repeat for several).",
)
@click.option(
    "--timeout",
    default=60,
    show_default=True,
    type=click.IntRange(1, 86_400),
    help="Seconds to wait for the device's acknowledgement once sent.",
)
@json_option
@pass_ctx
def command_send(
    state: CliContext, device: str, cmd: str, params: tuple[str, ...], timeout: int, as_json: bool
) -> None:
    """Queue a command; it goes out when the device is online (needs a running agent)."""
    parsed = command_params(cmd, params)
    with state.core.db.writer() as session:
        queued = command_service.queue_command(
            session=session,
            device_ref=device,
            cmd=cmd,
            params=parsed,
            actor=state.actor,
            timeout_s=timeout,
        )
    if as_json:
        print_json(queued)
    else:
        click.echo(f"queued {queued.cmd} for {queued.device_id} as {queued.id}")


@command.command("list")
@click.option("--device", help="Only this device.")
@click.option("--state", "state_", type=click.Choice([s.value for s in CommandState]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@pass_ctx
def command_list(
    state: CliContext, device: str | None, state_: str | None, limit: int, as_json: bool
) -> None:
    """Commands, newest first, with their state."""
    with state.read_core.db.reader() as session:
        found = command_service.list_commands(
            session=session,
            device_ref=device,
            state=CommandState(state_) if state_ else None,
            limit=limit,
        ).items
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo("no commands")
        return
    print_table(
        ["id", "device", "cmd", "state", "created", "detail"],
        [(c.id[:8], c.device_id, c.cmd, c.state.value, c.created_at, c.detail) for c in found],
    )
