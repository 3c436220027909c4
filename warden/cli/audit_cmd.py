"""``warden audit``: who changed what, when, from where, and what was refused."""

from __future__ import annotations

import click

from core.models import Origin, Outcome
from core.services import audit as audit_service
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_json, print_table


@click.group()
def audit() -> None:
    """The audit log: every change and every refused attempt, from every front end."""


@audit.command("list")
@click.option("--user", "user", help="Only what this user (or worker) did.")
@click.option("--origin", type=click.Choice([o.value for o in Origin]), help="Only from here.")
@click.option("--outcome", type=click.Choice([o.value for o in Outcome]), help="ok or denied.")
@click.option("--kind", "kind_prefix", help="Only kinds starting with this (auth., device.).")
@click.option("--before", "before_id", type=int, help="Only entries older than this id.")
@click.option(
    "--limit", type=click.IntRange(1, audit_service.MAX_LIMIT), default=50, show_default=True
)
@json_option
@pass_ctx
def list_(
    state: CliContext,
    user: str | None,
    origin: str | None,
    outcome: str | None,
    kind_prefix: str | None,
    before_id: int | None,
    limit: int,
    as_json: bool,
) -> None:
    """Audit entries, newest first."""
    with state.read_core.db.reader() as session:
        found = audit_service.list_audit(
            session=session,
            actor=state.actor,
            actor_name=user,
            origin=Origin(origin) if origin else None,
            outcome=Outcome(outcome) if outcome else None,
            kind_prefix=kind_prefix,
            before_id=before_id,
            limit=limit,
        ).items
    if as_json:
        print_json(found)
    elif not found:
        click.echo("no audit entries")
    else:
        print_table(
            ["id", "at", "who", "origin", "from", "outcome", "kind", "summary"],
            [
                (
                    e.id,
                    e.at,
                    e.actor,
                    e.origin,
                    e.address,
                    e.outcome,
                    e.kind,
                    e.summary if e.count == 1 else f"{e.summary} (x{e.count})",
                )
                for e in found
            ],
        )
