"""``warden webhooks``: where findings are posted as JSON."""

from __future__ import annotations

import click

from core.models.finding import SEVERITIES
from core.services import notify
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_json, print_table


@click.group()
def webhooks() -> None:
    """Webhook targets: findings that open or reopen are POSTed there as JSON."""


@webhooks.command("add")
@click.argument("url")
@click.option(
    "--min-severity",
    type=click.Choice(SEVERITIES),
    default="high",
    show_default=True,
    help="Only findings at least this severe.",
)
@json_option
@pass_ctx
def add(state: CliContext, url: str, min_severity: str, as_json: bool) -> None:
    """Post findings to URL (retried with backoff when it fails)."""
    with state.core.db.writer() as session:
        target = notify.add_target(
            session=session, url=url, min_severity=min_severity, actor=state.actor
        )
    if as_json:
        print_json(target)
    else:
        click.echo(f"webhook {target.id} added")


@webhooks.command("list")
@json_option
@pass_ctx
def list_(state: CliContext, as_json: bool) -> None:
    """The webhook targets."""
    with state.read_core.db.reader() as session:
        found = notify.list_targets(session=session)
    if as_json:
        print_json(found)
    elif not found:
        click.echo("no webhooks")
    else:
        print_table(
            ["id", "min severity", "url", "by"],
            [(t.id, t.min_severity, t.url, t.created_by) for t in found],
        )


@webhooks.command("remove")
@click.argument("target_id", type=int)
@pass_ctx
def remove(state: CliContext, target_id: int) -> None:
    """Stop posting to a target."""
    with state.core.db.writer() as session:
        notify.remove_target(session=session, target_id=target_id, actor=state.actor)
    click.echo(f"webhook {target_id} removed")
