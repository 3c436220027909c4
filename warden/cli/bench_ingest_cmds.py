"""``warden bench ingest``, ``logs``, ``sinks`` and ``scale``: the ingest paths against their
peers (a bare subscriber, raw inserts, the sinks' own clients), one agent and several."""

from __future__ import annotations

import click

from warden.cli.bench_report import bench_workdir, report
from warden.cli.context import CliContext, json_option, pass_ctx


@click.command("ingest")
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

    workdir = bench_workdir(state)
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
    report(result, as_json)


@click.command("sinks")
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
            workdir=bench_workdir(state),
        )
    except RuntimeError as exc:  # a server that is missing or did not start
        raise click.ClickException(str(exc)) from exc
    report(result, as_json)


@click.command("logs")
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
    workdir = bench_workdir(state)
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
    report(result, as_json)


def _agent_counts(ctx: click.Context, param: click.Parameter, value: str) -> list[int]:
    try:
        counts = sorted({int(part) for part in value.split(",") if part.strip()})
    except ValueError:
        raise click.BadParameter("a comma-separated list of agent counts, e.g. 1,2,3") from None
    if not counts or counts[0] < 1 or counts[-1] > 16:
        raise click.BadParameter("agent counts from 1 to 16, e.g. 1,2,3")
    return counts


@click.command("scale")
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
            workdir=bench_workdir(state),
            job_locks=job_locks,
        )
    except (RuntimeError, TimeoutError) as exc:  # a broker, agent or server that failed
        raise click.ClickException(str(exc)) from exc
    report(result, as_json)
