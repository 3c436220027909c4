"""``warden cluster status``: the agents sharing this database, who leads which job, their
broker connections and ingest rates (``core.services.cluster``)."""

from __future__ import annotations

import click

from core.models import AgentPublic, ClusterStatus
from core.services.cluster import cluster_status
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_fields, print_json, print_table


@click.group()
def cluster() -> None:
    """Agents sharing the database: who runs, who leads which job, brokers, ingest."""


@cluster.command("status")
@json_option
@pass_ctx
def status(state: CliContext, as_json: bool) -> None:
    """The agents seen (host, version, started, last heartbeat, alive or stale), the leader
    of each elected job, each agent's broker connections and ingest rate."""
    core = state.core
    with core.db.reader() as session:
        result = cluster_status(session=session, now=core.clock.now())
    if as_json:
        print_json(result)
        return
    _print(result)


def _brokers(agent: AgentPublic) -> str:
    if not agent.brokers:
        return "-"
    return ", ".join(
        f"{b.get('url', '?')} {'up' if b.get('connected') else 'DOWN'}" for b in agent.brokers
    )


def _print(result: ClusterStatus) -> None:
    if not result.agents:
        click.echo("no agent has run on this database yet (`warden agent` or `warden serve`)")
        return
    print_table(
        [
            "agent",
            "state",
            "host",
            "pid",
            "version",
            "started",
            "heartbeat",
            "ingest/s",
            "enforces",
        ],
        [
            (
                a.name,
                a.state,
                a.host,
                a.pid,
                a.version,
                a.started_at,
                a.heartbeat_at,
                f"{a.ingest_per_s:.1f}",
                "yes" if a.enforcing else "no",
            )
            for a in result.agents
        ],
    )
    click.echo()
    print_fields(
        [(f"brokers of {a.name}", _brokers(a)) for a in result.agents if a.state == "alive"]
    )
    click.echo()
    led = result.leaders
    jobs = sorted({job for a in result.agents for job in a.leads} | set(led))
    print_fields([(job, led.get(job, "nobody alive (taken over within seconds)")) for job in jobs])
