"""``warden bench``: reproducible measurements (see benchmarks/), one module per family of
subcommands."""

from __future__ import annotations

import click

from warden.cli import bench_ingest_cmds, bench_operator_cmds, bench_storage_cmds


@click.group()
def bench() -> None:
    """Measure Warden against the limit of the layer below it, in the same run."""


bench.add_command(bench_storage_cmds.query)
bench.add_command(bench_ingest_cmds.ingest)
bench.add_command(bench_ingest_cmds.sinks)
bench.add_command(bench_operator_cmds.intents)
bench.add_command(bench_ingest_cmds.logs)
bench.add_command(bench_operator_cmds.enforce)
bench.add_command(bench_storage_cmds.retention)
bench.add_command(bench_operator_cmds.cli_)
bench.add_command(bench_storage_cmds.pg_insert)
bench.add_command(bench_ingest_cmds.scale)
bench.add_command(bench_operator_cmds.serve)
