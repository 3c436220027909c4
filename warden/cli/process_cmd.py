"""The long-running processes of DESIGN.md. Until their issues land, each says so plainly
and exits with status 2, so a script never mistakes a stub for a running service."""

from __future__ import annotations

import click

from warden.cli.context import CliContext, pass_ctx
from warden.cli.exits import not_built


@click.command()
@click.option(
    "--demo", is_flag=True, help="Embedded broker, simulated fleet, printed admin password."
)
def serve(demo: bool) -> None:
    """Everything in one process: web + API, collectors, scheduler, enforcement."""
    not_built("warden serve" + (" --demo" if demo else ""), "the telemetry pipeline issue")


@click.command()
@pass_ctx
def agent(state: CliContext) -> None:
    """Collectors, writer and scheduled jobs, without the web front end. Runs until
    SIGINT/SIGTERM; enforcement arrives with its issue."""
    from warden.agent import Agent, configure_logging, wait_for_signal

    configure_logging(state.settings.log_level)
    running = Agent(state.core)
    running.start()
    try:
        wait_for_signal()
    finally:
        running.stop()


@click.command()
def web() -> None:
    """The web console and REST API alone."""
    not_built("warden web", "the web console issue")


@click.command()
@click.option("--user", help="Pre-fill the login with this user.")
def console(user: str | None) -> None:
    """The terminal console (Textual), on the same database as the daemon."""
    not_built("warden console", "the terminal console issue")


@click.command()
def simulate() -> None:
    """A fleet of virtual devices speaking the device protocol."""
    not_built("warden simulate", "the telemetry pipeline issue")


COMMANDS = (serve, agent, web, console, simulate)
