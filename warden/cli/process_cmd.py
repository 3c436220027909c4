"""The long-running processes of DESIGN.md (the terminal console is ``console_cmd``).

``warden web`` serves the web console and the REST API; ``warden serve`` runs the agent and
them in one process (uvicorn in the main thread, so it handles SIGINT/SIGTERM and the agent is
stopped after it returns)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from warden.cli.context import CliContext, json_option, pass_ctx

if TYPE_CHECKING:
    from warden.agent import Agent


@click.command()
@click.option(
    "--demo", is_flag=True, help="Embedded broker, simulated fleet, database in data/var/demo."
)
@pass_ctx
def serve(state: CliContext, demo: bool) -> None:
    """Everything in one process: the agent (collectors, writer, scheduled jobs) and the
    REST API on http_host:http_port. Runs until SIGINT/SIGTERM."""
    from warden.agent import Agent, configure_logging

    configure_logging(state.settings.log_level)
    if demo:
        from warden.demo import run_demo

        run_demo(state.settings, state.config_file)
        return
    running = Agent(state.core)
    running.start()
    try:
        _run_api(state, agent=running)
    finally:
        running.stop()


@click.command()
@pass_ctx
def agent(state: CliContext) -> None:
    """Collectors, writer, enforcement and scheduled jobs, without the web front end. Runs
    until SIGINT/SIGTERM."""
    from warden.agent import configure_logging

    configure_logging(state.settings.log_level)
    _run_agent(state)


def _run_agent(state: CliContext) -> None:
    from warden.agent import Agent, wait_for_signal

    running = Agent(state.core)
    running.start()
    try:
        wait_for_signal()
    finally:
        running.stop()


@click.command()
@pass_ctx
def web(state: CliContext) -> None:
    """The REST API alone (on http_host:http_port), on the same database as the agent.
    Runs until SIGINT/SIGTERM."""
    from warden.agent import configure_logging

    configure_logging(state.settings.log_level)
    _run_api(state)


def _run_api(state: CliContext, *, agent: Agent | None = None) -> None:
    from warden.api_server import serve_api

    serve_api(state.core, agent=agent)


@click.command()
@click.option(
    "--broker",
    "brokers",
    multiple=True,
    metavar="URL",
    help="Broker to publish to (repeat for several; default: WARDEN_MQTT_URL).",
)
@click.option(
    "--preset",
    default="home",
    show_default=True,
    type=click.Choice(["home", "office", "factory", "meters"]),
)
@click.option(
    "--count",
    "counts",
    multiple=True,
    metavar="KIND=N",
    help="Explicit counts instead of the preset, e.g. dc_meter=3 (kinds: dc_meter, "
    "ac_meter, temperature, air_quality, camera, door_lock, thermostat).",
)
@click.option(
    "--rate",
    default=1.0,
    show_default=True,
    type=float,
    help="Speed-up of every cadence (10 = ten times faster).",
)
@click.option("--seed", default=0, show_default=True, type=int, help="For repeatable runs.")
@click.option(
    "--faults",
    default="",
    metavar="NAMES",
    help="Comma-separated faults to inject (see `simulator.FAULTS`): gaps, "
    "duplicates, reboots, silence, malformed, wrong ids.",
)
@click.option("--duration", type=float, help="Seconds to run (default: until Ctrl-C).")
@json_option
@pass_ctx
def simulate(
    state: CliContext,
    brokers: tuple[str, ...],
    preset: str,
    counts: tuple[str, ...],
    rate: float,
    seed: int,
    faults: str,
    duration: float | None,
    as_json: bool,
) -> None:
    """A fleet of virtual devices speaking the device protocol; prints what it sent."""
    from simulator import FleetConfig, run_fleet

    parsed_counts = {}
    for item in counts:
        kind, sep, number = item.partition("=")
        if not sep or not number.isdigit():
            raise click.BadParameter(f"{item!r} is not KIND=N", param_hint="--count")
        parsed_counts[kind.strip()] = int(number)
    try:
        config = FleetConfig(
            brokers=list(brokers) or [b.url for b in state.settings.mqtt_brokers],
            prefix=state.settings.mqtt_prefix,
            preset=preset,
            counts=parsed_counts or None,
            rate=rate,
            seed=seed,
            faults=faults,
            duration=duration,
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    if not as_json:
        click.echo(
            f"simulating {sum(config.device_counts.values())} devices on "
            f"{', '.join(config.brokers)}; Ctrl-C stops",
            err=True,
        )
    summary = run_fleet(config)
    if as_json:
        click.echo(summary.to_json(indent=2))
    else:
        totals = summary.totals
        click.echo(
            f"sent {totals.telemetry_messages} telemetry messages "
            f"({totals.measurements} measurements) and {totals.data_messages} flat-JSON "
            f"messages from {len(summary.devices)} devices in {summary.duration_s} s"
        )


COMMANDS = (serve, agent, web, simulate)
