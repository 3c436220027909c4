"""``warden console``: the terminal console, on the same database as the daemon.

It needs no daemon: when none runs it says so and shows what the database knows. Logins
are Warden users (``warden users add``), with the web's roles and lockout.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import click

from core.services import users as users_service
from warden.cli.context import CliContext, pass_ctx
from warden.cli.exits import EXIT_FAILURE, CommandFailed


@click.command("console")
@click.option("--user", "user", default=None, help="Pre-fill the login with this user name.")
@pass_ctx
def console(state: CliContext, user: str | None) -> None:
    """The terminal console (TUI): devices, findings, intents, logs, actions and rules,
    live. Works over SSH in 80x24; keys are listed with `?`."""
    from console.app import ConsoleApp  # Textual loads only for this command

    core = state.core
    with core.db.reader() as session:
        has_users = users_service.has_users(session=session)
    if not has_users:
        click.echo(
            "warden: no users yet; create the first one with "
            "`warden users add NAME --role admin`, then run `warden console --user NAME`.",
            err=True,
        )
        raise SystemExit(EXIT_FAILURE)

    def sync() -> None:
        """So the rules screen shows what will run on a fresh data dir; on the console's
        background thread, once the login screen is drawn (the packs' YAML and the rule
        engine take longer to load than the screen takes to draw)."""
        from warden.catalog import sync_catalog

        sync_catalog(core)

    app = ConsoleApp(core, user=user, after_start=sync)
    with _logging_to(app.log_file):
        app.run()
    if app.return_code:
        raise CommandFailed(
            f"the console stopped on an internal error; the traceback is in {app.log_file}",
            EXIT_FAILURE,
        )


@contextlib.contextmanager
def _logging_to(path: Path) -> Iterator[None]:
    """While the console runs, warnings go to its log file, never onto the screen."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        handler = logging.FileHandler(path, encoding="utf-8")
    except OSError as exc:
        click.echo(f"warden: cannot write the console log {path}: {exc}", err=True)
        yield
        return
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()
