"""The ``warden`` command line.

Every read command takes ``--json``. Bad input exits with status 2 and one line saying what
was wrong; nothing ends in a traceback (``WARDEN_DEBUG=1`` shows one for bug reports).
"""

from __future__ import annotations

import importlib
import os
import traceback
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import click
from click.formatting import HelpFormatter

from core.errors import DatabaseError, WardenError
from core.private_files import restrict_umask
from warden.cli.context import CliContext
from warden.cli.exits import EXIT_BAD_INPUT, EXIT_FAILURE, CommandFailed

# One line a command: name → (``module:attribute`` under ``warden.cli``, the first sentence
# of its help, which ``warden --help`` lists without importing it; a test keeps them equal).
# A command's module is imported only when that command runs or its help is asked for, so
# ``warden devices list`` loads neither the consoles nor the benchmarks nor the web.
# fmt: off
COMMANDS: dict[str, tuple[str, str]] = {
    "actions": ("actions_cmd:actions", "Playbook actions: list, show, approve, reject."),
    "archive": ("archive_cmd:archive", "The raw archive in S3: every message as received (WARDEN_S3_URL)."),  # noqa: E501
    "agent": ("process_cmd:agent", "Collectors, writer, enforcement and scheduled jobs, without the web front end."),  # noqa: E501
    "audit": ("audit_cmd:audit", "The audit log: every change and every refused attempt, from every front end."),  # noqa: E501
    "backup": ("backup_cmd:backup_group", "Backups of the database (SQLite: a verified copy; PostgreSQL: pg_dump)."),  # noqa: E501
    "bench": ("bench_cmd:bench", "Measure Warden against the limit of the layer below it, in the same run."),  # noqa: E501
    "cluster": ("cluster_cmd:cluster", "Agents sharing the database: who runs, who leads which job, brokers, ingest."),  # noqa: E501
    "command": ("pipeline_cmd:command", "Send commands to devices and follow their state."),
    "config": ("config_cmd:config", "Show Warden's settings."),
    "console": ("console_cmd:console", "The terminal console (TUI): devices, findings, intents, logs, actions and rules, live."),  # noqa: E501
    "deadletter": ("pipeline_cmd:deadletter", "Messages that could not be used (kept, never silently dropped)."),  # noqa: E501
    "devices": ("devices_cmd:devices", "List, show and register devices."),
    "doctor": ("doctor_cmd:doctor", "Check privileges, enforcement mode, tc, nft, the kernel's tc features, the brokers, the data dir and the database."),  # noqa: E501
    "enforcement": ("enforcement_cmd:enforcement", "Enforcement: backend mode, interfaces, the last reconcile."),  # noqa: E501
    "findings": ("findings_cmd:findings", "Findings: list, acknowledge, resolve, note."),
    "intent": ("intent_cmd:intent", "Say what the network should do, in plain English (see INTENTS.md)."),  # noqa: E501
    "logs": ("logs_cmd:logs", "Router and device logs (syslog)."),
    "maintenance": ("maintenance_cmd:maintenance", "Maintenance windows: findings for what they cover are suppressed."),  # noqa: E501
    "playbooks": ("playbooks_cmd:playbooks", "Playbooks that turn findings into actions: list, show, enable, disable, set, reset."),  # noqa: E501
    "rules": ("rules_cmd:rules", "Rules that turn logs and telemetry into findings: list, show, enable, disable, set, reset, test."),  # noqa: E501
    "serve": ("process_cmd:serve", "Everything in one process: the agent (collectors, writer, scheduled jobs) and the REST API on http_host:http_port."),  # noqa: E501
    "simulate": ("process_cmd:simulate", "A fleet of virtual devices speaking the device protocol; prints what it sent."),  # noqa: E501
    "stats": ("stats_cmd:stats", "Counts of devices, series, readings and dead letters."),
    "storage": ("storage_cmd:storage", "The database's size, tiers and retention."),
    "telemetry": ("telemetry_cmd:telemetry", "Query stored telemetry."),
    "users": ("users_cmd:users", "Users and roles: viewer reads, operator acts on findings, intents and actions, admin manages everything."),  # noqa: E501
    "web": ("process_cmd:web", "The REST API alone (on http_host:http_port), on the same database as the agent."),  # noqa: E501
    "webhooks": ("webhooks_cmd:webhooks", "Webhook targets: findings that open or reopen are POSTed there as JSON."),  # noqa: E501
}
# fmt: on


def load_command(name: str) -> click.Command:
    """The registered command ``name``, its module imported now."""
    target, _ = COMMANDS[name]
    module, attribute = target.split(":")
    command: click.Command = getattr(importlib.import_module(f"warden.cli.{module}"), attribute)
    return command


class LazyCommands(MutableMapping[str, click.Command]):
    """``cli.commands``: every command of ``COMMANDS`` (and any added), each one's module
    imported when the command is first looked up. Listing the names imports nothing."""

    def __init__(self) -> None:
        self._loaded: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self._loaded[name] = load_command(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted({*self._loaded, *COMMANDS}))

    def __len__(self) -> int:
        return len({*self._loaded, *COMMANDS})

    def __contains__(self, name: object) -> bool:
        return name in self._loaded or name in COMMANDS

    def loaded(self, name: str) -> click.Command | None:
        """The command when its module was imported already (None: not yet)."""
        return self._loaded.get(name)


class WardenGroup(click.Group):
    """Turns Warden's errors into one line and an exit status at the outermost level; its
    commands load when first asked for (``LazyCommands``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: MutableMapping[str, click.Command] = LazyCommands()  # type: ignore[assignment]

    def format_commands(self, ctx: click.Context, formatter: HelpFormatter) -> None:
        """As click lists them, from the registered summaries (nothing imported)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        commands = self.commands
        for name in names:
            loaded = commands.loaded(name) if isinstance(commands, LazyCommands) else None
            if loaded is None:
                loaded = click.Command(name, help=COMMANDS[name][1])
            if not loaded.hidden:
                rows.append((name, loaded.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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
@click.version_option(None, "-V", "--version", prog_name="warden", package_name="edgewarden")
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


def main(argv: list[str] | None = None) -> None:
    # Everything Warden writes (database, secrets, session files, logs) is for its own user.
    restrict_umask()
    cli.main(args=argv, prog_name="warden")
