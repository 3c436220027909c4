"""``warden bench intents``, ``enforce``, ``cli`` and ``serve``: what the operator waits for
(parsing, an intent reaching the kernel, a command answering, the server's footprint)."""

from __future__ import annotations

import click

from warden.cli.bench_report import bench_workdir, report
from warden.cli.context import CliContext, json_option, pass_ctx


@click.command("intents")
@click.option(
    "--rounds",
    default=40,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Passes over the fixed sentence mix for the parse rate.",
)
@click.option(
    "--devices",
    "devices_count",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Registry size for resolving.",
)
@json_option
@pass_ctx
def intents(state: CliContext, rounds: int, devices_count: int, as_json: bool) -> None:
    """Intent sentences per second: parse, and parse + resolve against a registry."""
    from benchmarks import intents_bench

    workdir = bench_workdir(state)
    report(intents_bench.run(workdir, rounds=rounds, devices_count=devices_count), as_json)


@click.command("enforce")
@click.option(
    "--runs",
    default=200,
    show_default=True,
    type=click.IntRange(20, 100_000),
    help="Timed changes of the rate on each path (after one warm-up each).",
)
@json_option
@pass_ctx
def enforce(state: CliContext, runs: int, as_json: bool) -> None:
    """Intent to kernel class read back, in a throwaway namespace: Warden vs spawning tc."""
    from benchmarks import enforce_bench

    workdir = bench_workdir(state)
    if not as_json:
        click.echo(
            f"throwaway network namespaces; {runs} rate changes through Warden "
            f"(submit, reconcile, read back) and {runs} through tc processes ...",
            err=True,
        )
    # Without root, run() raises EnforcementError (a WardenError): a clean exit with its message.
    report(enforce_bench.run(workdir, runs=runs), as_json)


@click.command("cli")
@click.option(
    "--runs",
    default=5,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Timed runs of each command (after one warm-up), taking turns.",
)
@click.option(
    "--devices", "device_count", default=50, show_default=True, type=click.IntRange(0, 100_000)
)
@click.option("--demo/--no-demo", default=True, show_default=True, help="Time serve --demo too.")
@json_option
@pass_ctx
def cli_(state: CliContext, runs: int, device_count: int, demo: bool, as_json: bool) -> None:
    """Whole-process start-up: --help, devices list, the console's login, the demo's HTTP."""
    from benchmarks import cli_bench

    if not as_json:
        click.echo(
            f"{runs} rounds of python -c pass, warden --help, devices list, console"
            f"{', serve --demo' if demo else ''} ...",
            err=True,
        )
    try:
        result = cli_bench.run(
            bench_workdir(state), runs=runs, device_count=device_count, demo=demo
        )
    except RuntimeError as exc:  # a command that failed or never got ready
        raise click.ClickException(str(exc)) from exc
    report(result, as_json)


@click.command("serve")
@click.option("--devices", default=1000, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--loads",
    default=200,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Times every page is loaded (GET, its socket connected, closed).",
)
@click.option(
    "--live",
    default=5,
    show_default=True,
    type=click.IntRange(0, 100),
    help="Pages held open (socket connected) for the whole walk.",
)
@click.option(
    "--rate",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.1, 1000),
    help="How much faster than real time the simulated fleet reports (keep it where ingest "
    "keeps up: queue_depth_samples stays low; a full queue's backlog is RSS too).",
)
@json_option
@pass_ctx
def serve(
    state: CliContext, devices: int, loads: int, live: int, rate: float, as_json: bool
) -> None:
    """The serve process's memory (RSS) while a fleet reports and a browser walks every page."""
    from benchmarks import serve_bench

    if not as_json:
        click.echo(
            f"warden serve with {devices} simulated devices; every page loaded {loads} times, "
            f"{live} held open ...",
            err=True,
        )
    try:
        result = serve_bench.run(
            bench_workdir(state), devices=devices, loads=loads, live=live, rate=rate
        )
    except RuntimeError as exc:  # a process that failed or never got ready
        raise click.ClickException(str(exc)) from exc
    report(result, as_json)
