"""``warden bench query``, ``retention`` and ``pg-insert``: what the storage tier costs
(reads by tier, a year's retention, the PostgreSQL readings insert)."""

from __future__ import annotations

from pathlib import Path

import click

from warden.cli.bench_report import bench_workdir, report
from warden.cli.context import CliContext, json_option, pass_ctx


@click.command("query")
@click.option(
    "--rows",
    default=10_000_000,
    show_default=True,
    type=click.IntRange(86_400),
    help="Readings stored at least (whole series of --days of 1 Hz data).",
)
@click.option(
    "--days",
    default=30,
    show_default=True,
    type=click.IntRange(1, 366),
    help="Days of 1 Hz data per series (fewer if --rows is less); the long window covers them all.",
)
@click.option("--points", default=500, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--repeat",
    default=30,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Timed rounds after one warm-up; each round runs both queries of both windows.",
)
@click.option(
    "--quick",
    is_flag=True,
    help="A small run (3 days of one series, 3 rounds) that checks the bench works.",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Benchmark database (made once, then reused). Default: DATA_DIR/bench/query.db.",
)
@json_option
@pass_ctx
def query(
    state: CliContext,
    rows: int,
    days: int,
    points: int,
    repeat: int,
    quick: bool,
    db_path: Path | None,
    as_json: bool,
) -> None:
    """A day (86 400 points) and 30 days as 500-point charts among 10 M rows: Warden
    against the bare GROUP BY over raw rows, interleaved, wall and CPU time."""
    from benchmarks import query_bench

    if quick:
        rows, days, repeat = 3 * 86_400, 3, 3
    path = db_path or bench_workdir(state) / ("query-quick.db" if quick else "query.db")
    path.parent.mkdir(parents=True, exist_ok=True)  # a --db elsewhere
    if not as_json:
        click.echo(f"preparing {path} ({rows} rows; the first run fills it) ...", err=True)
    report(query_bench.run(path, rows=rows, points=points, repeat=repeat, days=days), as_json)


@click.command("retention")
@click.option("--devices", default=1000, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--days", default=365, show_default=True, type=click.IntRange(2, 3650))
@click.option(
    "--interval-s",
    default=3600,
    show_default=True,
    type=click.IntRange(60, 86_400),
    help="How often each simulated device reports.",
)
@click.option("--raw-days", type=click.IntRange(1), help="Default: WARDEN_RAW_RETENTION_DAYS.")
@click.option(
    "--minute-days", type=click.IntRange(1), help="Default: WARDEN_ROLLUP_MINUTE_RETENTION_DAYS."
)
@click.option(
    "--hour-days", type=click.IntRange(1), help="Default: WARDEN_ROLLUP_HOUR_RETENTION_DAYS."
)
@click.option(
    "--quick",
    is_flag=True,
    help="20 devices, 30 days, retention 2/7/20 days: every tier levels off, in seconds.",
)
@json_option
@pass_ctx
def retention(
    state: CliContext,
    devices: int,
    days: int,
    interval_s: int,
    raw_days: int | None,
    minute_days: int | None,
    hour_days: int | None,
    quick: bool,
    as_json: bool,
) -> None:
    """A simulated year of a 1 000-device fleet (injected clock): the file levels off at
    the size the retention settings predict; the purge's longest write-lock hold."""
    from benchmarks import retention_bench

    settings = state.settings
    keep = {
        "reading": raw_days or settings.raw_retention_days,
        "rollup_minute": minute_days or settings.rollup_minute_retention_days,
        "rollup_hour": hour_days or settings.rollup_hour_retention_days,
    }
    if quick:
        devices, days, interval_s = 20, 30, 600
        keep = {"reading": 2, "rollup_minute": 7, "rollup_hour": 20}
    path = bench_workdir(state) / "retention.db"
    if not as_json:
        click.echo(f"simulating {days} days of {devices} devices in {path} ...", err=True)
    report(
        retention_bench.run(path, devices=devices, days=days, interval_s=interval_s, keep=keep),
        as_json,
    )


@click.command("pg-insert")
@click.option(
    "--server-url",
    help="A PostgreSQL server Warden may create a scratch database on. "
    "Default: WARDEN_DATABASE_URL when it is PostgreSQL.",
)
@click.option("--rows", default=200_000, show_default=True, type=click.IntRange(1_000, 10**8))
@click.option("--batch-rows", default=5_000, show_default=True, type=click.IntRange(1, 10**6))
@click.option("--rounds", default=3, show_default=True, type=click.IntRange(1, 20))
@json_option
@pass_ctx
def pg_insert(
    state: CliContext,
    server_url: str | None,
    rows: int,
    batch_rows: int,
    rounds: int,
    as_json: bool,
) -> None:
    """The writer's readings insert on PostgreSQL (unnest) against raw COPY and others."""
    from benchmarks import pg_ingest_bench

    url = server_url or state.settings.database_url
    if not url or not url.startswith("postgresql"):
        raise click.UsageError("give --server-url (or set WARDEN_DATABASE_URL) to a PostgreSQL URL")
    result = pg_ingest_bench.run(url, rows=rows, batch_rows=batch_rows, rounds=rounds)
    report(result, as_json)
