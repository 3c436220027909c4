"""``warden telemetry``: reading series back."""

from __future__ import annotations

import click

from core.clock import from_ms
from core.services import telemetry as telemetry_service
from core.timeparse import parse_time
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_json, print_table


@click.group()
def telemetry() -> None:
    """Query stored telemetry."""


@telemetry.command("query")
@click.argument("device")
@click.option("--metric", "-m", required=True, help="Series name, e.g. voltage_dc.")
@click.option(
    "--since",
    default="-1h",
    show_default=True,
    help="Start: now, -15m, -1h, -2d, ISO 8601 or epoch seconds.",
)
@click.option("--until", default="now", show_default=True, help="End, same forms as --since.")
@click.option(
    "--points",
    default=500,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="At most this many points (buckets of equal width).",
)
@json_option
@pass_ctx
def query(
    state: CliContext,
    device: str,
    metric: str,
    since: str,
    until: str,
    points: int,
    as_json: bool,
) -> None:
    """A device's series between two times, downsampled to min/avg/max per bucket."""
    now = state.read_core.clock.now()
    start, end = parse_time(since, now=now), parse_time(until, now=now)
    with state.read_core.db.reader() as session:
        window = telemetry_service.query_series(
            session=session,
            device_id=device,
            metric=metric,
            since=start,
            until=end,
            points=points,
        )
    if as_json:
        print_json(window)
        return
    unit = f" ({window.unit})" if window.unit else ""
    click.echo(
        f"{window.device_id} {window.metric}{unit}: {len(window.points)} points from "
        f"{window.rows} readings, {window.since:%Y-%m-%d %H:%M:%S} to "
        f"{window.until:%Y-%m-%d %H:%M:%S} UTC, bucket {window.bucket_ms / 1000:g} s"
    )
    if window.points:
        print_table(
            ["time (utc)", "min", "avg", "max", "n"],
            [
                (from_ms(p.ts), f"{p.min:g}", f"{p.avg:.6g}", f"{p.max:g}", p.count)
                for p in window.points
            ],
        )
