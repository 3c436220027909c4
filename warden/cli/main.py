"""The ``warden`` command line.

Every read command takes ``--json``. Bad input exits with status 2 and one line saying what
was wrong; nothing ends in a traceback (``WARDEN_DEBUG=1`` shows one for bug reports).
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path
from typing import Any

import click

from core.errors import DatabaseError, WardenError
from warden import __version__
from warden.cli import (
    actions_cmd,
    archive_cmd,
    audit_cmd,
    backup_cmd,
    bench_cmd,
    config_cmd,
    devices_cmd,
    doctor_cmd,
    enforcement_cmd,
    findings_cmd,
    intent_cmd,
    logs_cmd,
    maintenance_cmd,
    pipeline_cmd,
    playbooks_cmd,
    process_cmd,
    rules_cmd,
    stats_cmd,
    telemetry_cmd,
    users_cmd,
    webhooks_cmd,
)
from warden.cli.console_cmd import console as console_command
from warden.cli.context import CliContext
from warden.cli.exits import EXIT_BAD_INPUT, EXIT_FAILURE, CommandFailed


class WardenGroup(click.Group):
    """Turns Warden's errors into one line and an exit status at the outermost level."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except WardenError as exc:
            code = EXIT_FAILURE if isinstance(exc, DatabaseError) else EXIT_BAD_INPUT
            raise CommandFailed(str(exc), code) from exc
        except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError):
            raise  # click ends a broken pipe (`warden … | head`) quietly
        except Exception as exc:
            if os.environ.get("WARDEN_DEBUG"):
                traceback.print_exc()
            raise CommandFailed(
                f"internal error: {type(exc).__name__}: {exc} (WARDEN_DEBUG=1 shows details)",
                EXIT_FAILURE,
            ) from exc


@click.group(cls=WardenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="warden")
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    default=None,
    help="TOML settings file (also WARDEN_CONFIG). Environment variables override it.",
)
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None) -> None:
    """Warden: the operations console for a small edge network.

    Settings come from WARDEN_* environment variables and an optional TOML file;
    `warden config show` prints the ones in force.
    """
    state = CliContext(config_file)
    ctx.obj = state
    ctx.call_on_close(state.close)


for command in (
    config_cmd.config,
    devices_cmd.devices,
    telemetry_cmd.telemetry,
    stats_cmd.stats,
    pipeline_cmd.deadletter,
    pipeline_cmd.command,
    intent_cmd.intent,
    logs_cmd.logs,
    findings_cmd.findings,
    rules_cmd.rules,
    playbooks_cmd.playbooks,
    actions_cmd.actions,
    maintenance_cmd.maintenance,
    webhooks_cmd.webhooks,
    users_cmd.users,
    audit_cmd.audit,
    enforcement_cmd.enforcement,
    doctor_cmd.doctor,
    backup_cmd.backup_group,
    archive_cmd.archive,
    bench_cmd.bench,
    *process_cmd.COMMANDS,
):
    cli.add_command(command)
cli.add_command(console_command)


def main(argv: list[str] | None = None) -> None:
    cli.main(args=argv, prog_name="warden")
