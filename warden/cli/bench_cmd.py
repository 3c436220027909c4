"""``warden bench``: reproducible measurements (see benchmarks/)."""

from __future__ import annotations

from pathlib import Path

import click

from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_fields, print_json


@click.group()
def bench() -> None:
    """Measure Warden against the limit of the layer below it, in the same run."""


@bench.command("query")
@click.option(
    "--rows",
    default=10_000_000,
    show_default=True,
    type=click.IntRange(86_400),
    help="Readings stored (whole days of 1 Hz data per series).",
)
@click.option("--points", default=500, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--repeat",
    default=30,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Timed runs of each query after one warm-up.",
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
    state: CliContext, rows: int, points: int, repeat: int, db_path: Path | None, as_json: bool
) -> None:
    """A day at 1 Hz as a 500-point chart among 10 M rows: Warden vs bare sqlite3."""
    from benchmarks import query_bench

    path = db_path or state.settings.data_dir / "bench" / "query.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not as_json:
        click.echo(f"preparing {path} ({rows} rows; the first run fills it) ...", err=True)
    result = query_bench.run(path, rows=rows, points=points, repeat=repeat)
    if as_json:
        print_json(result)
    else:
        print_fields(result.items())
