"""``warden logs``: query stored log lines, send lines to a syslog collector."""

from __future__ import annotations

import socket
import sys

import click

from core.clock import from_ms, to_ms
from core.services import logs as log_service
from core.syslog import LogClass
from core.timeparse import parse_time
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_json, print_table


@click.group()
def logs() -> None:
    """Router and device logs (syslog)."""


@logs.command("query")
@click.option("--host", help="Only lines from this host name.")
@click.option("--app", help="Only lines from this program (dnsmasq, hostapd, ...).")
@click.option(
    "--class", "log_class", type=click.Choice([c.value for c in LogClass]), help="Only this class."
)
@click.option("--contains", help="Only lines whose message contains this text.")
@click.option("--device", help="Only lines tied to this device.")
@click.option("--since", default="-1h", show_default=True, help="now, -15m, -1h, ISO 8601…")
@click.option("--until", default="now", show_default=True)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
@json_option
@pass_ctx
def query(
    state: CliContext,
    host: str | None,
    app: str | None,
    log_class: str | None,
    contains: str | None,
    device: str | None,
    since: str,
    until: str,
    limit: int,
    as_json: bool,
) -> None:
    """Stored log lines, newest first."""
    now = state.read_core.clock.now()
    with state.read_core.db.reader() as session:
        found = log_service.query_logs(
            session=session,
            host=host,
            app=app,
            log_class=log_class,
            contains=contains,
            device_id=device,
            since_ms=to_ms(parse_time(since, now=now)),
            until_ms=to_ms(parse_time(until, now=now)),
            limit=limit,
        ).items
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo("no log lines")
        return
    print_table(
        ["time (utc)", "host", "app", "class", "message"],
        [(from_ms(r.ts), r.host, r.app, r.log_class, r.message) for r in found],
    )


@logs.command("send")
@click.option(
    "--host", "target", default="127.0.0.1", show_default=True, help="Where the collector listens."
)
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Default: WARDEN_SYSLOG_UDP_PORT or _TCP_PORT."
)
@click.option("--tcp", is_flag=True, help="TCP with octet counting instead of UDP.")
@pass_ctx
def send(state: CliContext, target: str, port: int | None, tcp: bool) -> None:
    """Send the lines of standard input as syslog messages (handy for tests and checks)."""
    lines = [line.rstrip(b"\r\n") for line in sys.stdin.buffer if line.strip()]
    settings = state.settings
    if tcp:
        with socket.create_connection(
            (target, port or settings.syslog_tcp_port), timeout=10
        ) as conn:
            for line in lines:
                conn.sendall(str(len(line)).encode() + b" " + line)
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for line in lines:
                udp.sendto(line, (target, port or settings.syslog_udp_port))
    click.echo(f"sent {len(lines)} lines over {'tcp' if tcp else 'udp'}", err=True)
