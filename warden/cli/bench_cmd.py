"""``warden bench``: reproducible measurements (see benchmarks/)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_fields, print_json


@click.group()
def bench() -> None:
    """Measure Warden against the limit of the layer below it, in the same run."""


def _workdir(state: CliContext) -> Path:
    """DATA_DIR/bench, where benchmarks keep their databases and scratch files."""
    workdir = state.settings.data_dir / "bench"
    workdir.mkdir(parents=True, exist_ok=True)
    return workdir


def _flatten(prefix: str, value: Any) -> list[tuple[str, Any]]:
    """Nested figures as dotted keys, for people (``--json`` keeps the structure)."""
    if isinstance(value, dict):
        return [kv for k, v in value.items() for kv in _flatten(f"{prefix}.{k}", v)]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [kv for i, v in enumerate(value) for kv in _flatten(f"{prefix}.{i}", v)]
    return [(prefix, value)]


def _report(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(result)
    else:
        print_fields([kv for k, v in result.items() for kv in _flatten(k, v)])


@bench.command("query")
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
    path = db_path or _workdir(state) / ("query-quick.db" if quick else "query.db")
    path.parent.mkdir(parents=True, exist_ok=True)  # a --db elsewhere
    if not as_json:
        click.echo(f"preparing {path} ({rows} rows; the first run fills it) ...", err=True)
    _report(query_bench.run(path, rows=rows, points=points, repeat=repeat, days=days), as_json)


@bench.command("ingest")
@click.option(
    "--messages",
    default=100_000,
    show_default=True,
    type=click.IntRange(1, 10_000_000),
    help="Telemetry messages (10 measurements each) through the collector.",
)
@click.option(
    "--paho-messages",
    default=100_000,
    show_default=True,
    type=click.IntRange(2, 10_000_000),
    help="Messages for the bare paho subscriber (the limit the collector is compared with).",
)
@click.option("--devices", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--sqlite-rows",
    default=500_000,
    show_default=True,
    type=click.IntRange(1, 100_000_000),
    help="Rows for the raw sqlite3 limit (inserted in transactions of 5 000).",
)
@click.option(
    "--mqtt-protocol",
    type=click.Choice(["5", "3.1.1"]),
    default="5",
    show_default=True,
    help="MQTT version of the collector and of the bare subscriber.",
)
@click.option(
    "--broker-inflight",
    default=20_000,
    show_default=True,
    type=click.IntRange(0, 65_535),
    help="mosquitto max_inflight_messages (0: no maximum).",
)
@click.option(
    "--timeout",
    "timeout_s",
    default=60.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds each phase may take before it is reported incomplete.",
)
@json_option
@pass_ctx
def ingest(
    state: CliContext,
    messages: int,
    paho_messages: int,
    devices: int,
    sqlite_rows: int,
    mqtt_protocol: str,
    broker_inflight: int,
    timeout_s: float,
    as_json: bool,
) -> None:
    """MQTT to committed rows at QoS 1, zero loss: Warden vs a bare paho subscriber."""
    from benchmarks import ingest_bench

    workdir = _workdir(state)
    if not as_json:
        click.echo(
            f"mosquitto on 127.0.0.1, {paho_messages} messages to a bare paho subscriber, "
            f"{sqlite_rows} rows to sqlite3, {messages} messages to the collector ...",
            err=True,
        )
    try:
        result = ingest_bench.run(
            messages=messages,
            paho_messages=paho_messages,
            devices=devices,
            sqlite_rows=sqlite_rows,
            broker_inflight=broker_inflight,
            mqtt_protocol=mqtt_protocol,
            timeout_s=timeout_s,
            workdir=workdir,
        )
    except RuntimeError as exc:  # no mosquitto, a broker or publisher that failed
        raise click.ClickException(str(exc)) from exc
    _report(result, as_json)


@bench.command("sinks")
@click.option("--messages", default=20_000, show_default=True, type=click.IntRange(100, 10**7))
@click.option(
    "--outage-messages",
    default=30_000,
    show_default=True,
    type=click.IntRange(100, 10**7),
    help="The backlog of the catch-up run (10 minutes of 50 devices at one message a second).",
)
@click.option("--devices", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--rounds", default=2, show_default=True, type=click.IntRange(1, 20))
@json_option
@pass_ctx
def sinks(
    state: CliContext,
    messages: int,
    outage_messages: int,
    devices: int,
    rounds: int,
    as_json: bool,
) -> None:
    """Mirror and archive while ingest runs: vs their client libraries, and ingest on vs off."""
    from benchmarks import sinks_bench

    try:
        result = sinks_bench.run(
            messages=messages,
            outage_messages=outage_messages,
            devices=devices,
            rounds=rounds,
            workdir=_workdir(state),
        )
    except RuntimeError as exc:  # a server that is missing or did not start
        raise click.ClickException(str(exc)) from exc
    _report(result, as_json)


@bench.command("intents")
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

    workdir = _workdir(state)
    _report(intents_bench.run(workdir, rounds=rounds, devices_count=devices_count), as_json)


@bench.command("logs")
@click.option(
    "--lines",
    "lines_count",
    default=100_000,
    show_default=True,
    type=click.IntRange(1, 10_000_000),
    help="Syslog lines sent over TCP (octet counting) as fast as the collector takes them.",
)
@click.option(
    "--udp-rates",
    default="5000,10000,20000,40000,80000",
    show_default=True,
    help="Offered UDP rates (lines/s), tried in this order.",
)
@click.option(
    "--udp-seconds",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0.01, 600),
    help="Seconds of sending at each UDP rate.",
)
@json_option
@pass_ctx
def logs(
    state: CliContext, lines_count: int, udp_rates: str, udp_seconds: float, as_json: bool
) -> None:
    """Syslog lines/s stored and evaluated against the shipped packs, over TCP and UDP."""
    from benchmarks import logs_bench
    from warden.paths import rule_packs

    try:
        rates = tuple(int(r) for r in udp_rates.split(",") if r.strip())
    except ValueError as exc:
        raise click.BadParameter(
            "a comma-separated list of integers", param_hint="--udp-rates"
        ) from exc
    if not rates or min(rates) < 1:
        raise click.BadParameter("at least one positive rate", param_hint="--udp-rates")
    workdir = _workdir(state)
    if not as_json:
        click.echo(
            f"syslog collector on 127.0.0.1: {lines_count} lines over TCP, "
            f"UDP at {', '.join(map(str, rates))} lines/s for {udp_seconds} s each ...",
            err=True,
        )
    try:
        result = logs_bench.run(
            rule_packs(),
            lines_count=lines_count,
            udp_rates=rates,
            udp_seconds=udp_seconds,
            workdir=workdir,
        )
    except RuntimeError as exc:  # a sender that failed
        raise click.ClickException(str(exc)) from exc
    _report(result, as_json)


@bench.command("enforce")
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

    workdir = _workdir(state)
    if not as_json:
        click.echo(
            f"throwaway network namespaces; {runs} rate changes through Warden "
            f"(submit, reconcile, read back) and {runs} through tc processes ...",
            err=True,
        )
    # Without root, run() raises EnforcementError (a WardenError): a clean exit with its message.
    _report(enforce_bench.run(workdir, runs=runs), as_json)


@bench.command("retention")
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
    path = _workdir(state) / "retention.db"
    if not as_json:
        click.echo(f"simulating {days} days of {devices} devices in {path} ...", err=True)
    _report(
        retention_bench.run(path, devices=devices, days=days, interval_s=interval_s, keep=keep),
        as_json,
    )


@bench.command("cli")
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
        result = cli_bench.run(_workdir(state), runs=runs, device_count=device_count, demo=demo)
    except RuntimeError as exc:  # a command that failed or never got ready
        raise click.ClickException(str(exc)) from exc
    _report(result, as_json)


@bench.command("pg-insert")
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
    _report(result, as_json)


def _agent_counts(ctx: click.Context, param: click.Parameter, value: str) -> list[int]:
    try:
        counts = sorted({int(part) for part in value.split(",") if part.strip()})
    except ValueError:
        raise click.BadParameter("a comma-separated list of agent counts, e.g. 1,2,3") from None
    if not counts or counts[0] < 1 or counts[-1] > 16:
        raise click.BadParameter("agent counts from 1 to 16, e.g. 1,2,3")
    return counts


@bench.command("scale")
@click.option(
    "--agents",
    default="1,2,3",
    show_default=True,
    callback=_agent_counts,
    help="Agent counts to measure, comma-separated; each shares one PostgreSQL database.",
)
@click.option("--messages", default=20_000, show_default=True, type=click.IntRange(1, 10**7))
@click.option("--devices", default=50, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--pg-server",
    "server_url",
    default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
    show_default=True,
    help="A PostgreSQL server where the bench may create (and drops) its own databases.",
)
@click.option(
    "--timeout",
    "timeout_s",
    default=120.0,
    show_default=True,
    type=click.FloatRange(5, 3600),
    help="Seconds each phase may take before it is reported incomplete.",
)
@json_option
@pass_ctx
def scale(
    state: CliContext,
    agents: list[int],
    messages: int,
    devices: int,
    server_url: str,
    timeout_s: float,
    as_json: bool,
) -> None:
    """Agents sharing PostgreSQL and a share group: messages/s, CPU per message, loss,
    fail-over; beside one agent on SQLite and a bare paho subscriber."""
    from benchmarks import scale_bench
    from benchmarks.failover import JobLocks
    from warden.agent_jobs import ELECTED_JOBS
    from warden.leadership import LOCK_NAMESPACE, MEMBERSHIP_KEY, application_name

    job_locks = JobLocks(LOCK_NAMESPACE, MEMBERSHIP_KEY, application_name, len(ELECTED_JOBS))
    if not as_json:
        click.echo(
            f"agents {','.join(map(str, agents))} on PostgreSQL, one on SQLite, a bare paho "
            f"subscriber: {messages} messages each ...",
            err=True,
        )
    try:
        result = scale_bench.run(
            agents=agents,
            messages=messages,
            devices=devices,
            server_url=server_url,
            timeout_s=timeout_s,
            workdir=_workdir(state),
            job_locks=job_locks,
        )
    except (RuntimeError, TimeoutError) as exc:  # a broker, agent or server that failed
        raise click.ClickException(str(exc)) from exc
    _report(result, as_json)


@bench.command("serve")
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
            _workdir(state), devices=devices, loads=loads, live=live, rate=rate
        )
    except RuntimeError as exc:  # a process that failed or never got ready
        raise click.ClickException(str(exc)) from exc
    _report(result, as_json)
