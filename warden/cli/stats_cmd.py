"""``warden stats``: what the store holds."""

from __future__ import annotations

import click

from core.clock import to_ms
from core.models import SinkState
from core.services.stats import store_stats
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_fields, print_json


@click.command()
@json_option
@pass_ctx
def stats(state: CliContext, as_json: bool) -> None:
    """Counts of devices, series, readings and dead letters."""
    now = state.read_core.clock.now()
    with state.read_core.db.reader() as session:
        result = store_stats(session=session, now=now)
    now_ms = to_ms(now)
    if as_json:
        print_json(result)
        return
    status = ", ".join(f"{v} {k}" for k, v in sorted(result.devices_by_status.items()))
    reasons = ", ".join(f"{v} {k}" for k, v in sorted(result.dead_letters_by_reason.items()))
    syslog = _syslog_of(result.agent)
    print_fields(
        [
            ("devices", f"{result.devices}" + (f" ({status})" if status else "")),
            ("series", result.series),
            ("readings", result.readings),
            ("dead letters", f"{result.dead_letters}" + (f" ({reasons})" if reasons else "")),
            ("last change", result.last_change_id),
            *_ingest_lines(result.ingest),
            ("agent", _agent_line(result.agent)),
            *_written_lines(result.agent),
            *([("syslog", _syslog_line(syslog))] if syslog else []),
            *[(f"sink {sink.name}", _sink_line(sink, now_ms)) for sink in result.sinks],
        ]
    )


def _sink_line(sink: SinkState, now_ms: int) -> str:
    """Whether the sink keeps up: what waits, since when it fails and why."""
    errors = ", ".join(f"{n} {kind}" for kind, n in sorted(sink.errors.items()))
    failing = sink.failing_for_s(now_ms)
    return (
        f"{sink.pending} batch(es) waiting, lag {sink.lag_s:.0f} s, {sink.sent} sent"
        + (f", FAILING for {failing:.0f} s: {sink.last_error}" if failing else "")
        + (f" (errors: {errors})" if errors else "")
    )


def _ingest_lines(ingest: dict) -> list[tuple[str, object]]:
    if not ingest:
        return [("ingest", "nothing received yet")]
    return [
        ("received", ingest.get("received", 0)),
        ("stored messages", ingest.get("stored_messages", 0)),
        ("stored measurements", ingest.get("stored_measurements", 0)),
        ("duplicates", ingest.get("duplicates", 0)),
        ("missing (gaps)", ingest.get("missing", 0)),
        ("commit batches", ingest.get("batches", 0)),
    ]


def _agent_line(agent: dict | None) -> str:
    if agent is None:
        return "never ran on this database"
    if not agent.get("running"):
        return f"not running (last heartbeat {agent['updated_at']})"
    brokers = ", ".join(
        f"{b['url']} {'up' if b['connected'] else 'DOWN'}" for b in agent.get("brokers", [])
    )
    return f"running, pid {agent.get('pid')}, queue {agent.get('queue_depth')}, {brokers}"


def _written_lines(agent: dict | None) -> list[tuple[str, object]]:
    """Bytes the running agent has written to storage (its /proc/self/io)."""
    if not agent or not agent.get("running") or agent.get("bytes_written") is None:
        return []
    per_hour = agent.get("bytes_written_per_hour")
    return [
        (
            "bytes written",
            f"{agent['bytes_written']}"
            + ("" if per_hour is None else f" ({per_hour:,.0f} per hour)"),
        )
    ]


def _syslog_of(agent: dict | None) -> dict | None:
    return (agent or {}).get("syslog") if agent and agent.get("running") else None


def _syslog_line(syslog: dict) -> str:
    """Where the collector listens and what it refused: connections shed or idle-closed,
    lines over their sender's limit (the most limited senders named)."""
    top = ", ".join(f"{ip} {n}" for ip, n in (syslog.get("rate_limited_by_source") or {}).items())
    return (
        f"{syslog.get('host')} udp/{syslog.get('udp')} tcp/{syslog.get('tcp')}, "
        f"{syslog.get('connections', 0)} of {syslog.get('max_connections', 0)} connections open "
        f"({syslog.get('connections_shed', 0)} shed, "
        f"{syslog.get('connections_idle_closed', 0)} idle-closed), "
        f"{syslog.get('rate_limited', 0)} lines dropped over per-source limits"
        + (f" ({top})" if top else "")
    )
