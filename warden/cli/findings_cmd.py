"""``warden findings``: what is wrong, and its lifecycle."""

from __future__ import annotations

import click

from core.models import FindingStatus
from core.models.finding import SEVERITIES
from core.services import findings as finding_service
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_fields, print_json, print_table, safe


@click.group()
def findings() -> None:
    """Findings: list, acknowledge, resolve, note."""


@findings.command("list")
@click.option("--status", type=click.Choice([s.value for s in FindingStatus]))
@click.option("--severity", type=click.Choice(SEVERITIES))
@click.option("--rule", "rule_id", help="Only this rule.")
@click.option("--device", help="Only this device.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@pass_ctx
def list_(
    state: CliContext,
    status: str | None,
    severity: str | None,
    rule_id: str | None,
    device: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Findings, most recently seen first."""
    with state.core.db.reader() as session:
        found = finding_service.list_findings(
            session=session,
            status=FindingStatus(status) if status else None,
            severity=severity,
            rule_id=rule_id,
            device_id=device,
            limit=limit,
        ).items
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo("no findings")
        return
    print_table(
        ["id", "severity", "status", "count", "last seen", "rule", "summary"],
        [
            (f.id, f.severity, f.status.value, f.count, f.last_seen, f.rule_id, f.summary)
            for f in found
        ],
    )


def _show(found: object) -> None:
    print_fields(
        [
            (k, getattr(found, k))
            for k in (
                "id",
                "severity",
                "status",
                "rule_id",
                "key",
                "device_id",
                "summary",
                "count",
                "first_seen",
                "last_seen",
                "times_opened",
                "acked_by",
                "resolved_by",
            )
        ]
    )
    for note in found.notes:  # type: ignore[attr-defined]
        click.echo(f"  note by {safe(note.author)} at {note.at:%Y-%m-%d %H:%M}: {safe(note.text)}")


@findings.command("show")
@click.argument("finding_id", type=int)
@json_option
@pass_ctx
def show(state: CliContext, finding_id: int, as_json: bool) -> None:
    """One finding with its evidence and notes."""
    with state.core.db.reader() as session:
        found = finding_service.get_finding(session=session, finding_id=finding_id)
    if as_json:
        print_json(found)
    else:
        _show(found)


@findings.command("ack")
@click.argument("finding_id", type=int)
@pass_ctx
def ack(state: CliContext, finding_id: int) -> None:
    """Acknowledge an open finding (someone is on it)."""
    with state.core.db.writer() as session:
        finding_service.acknowledge(
            session=session, finding_id=finding_id, actor=state.actor, now=state.core.clock.now()
        )
    click.echo(f"finding {finding_id} acknowledged")


@findings.command("resolve")
@click.argument("finding_id", type=int)
@pass_ctx
def resolve(state: CliContext, finding_id: int) -> None:
    """Resolve a finding by hand (it reopens if its rule fires again)."""
    with state.core.db.writer() as session:
        finding_service.resolve(
            session=session, finding_id=finding_id, actor=state.actor, now=state.core.clock.now()
        )
    click.echo(f"finding {finding_id} resolved")


@findings.command("note")
@click.argument("finding_id", type=int)
@click.argument("text", nargs=-1, required=True)
@pass_ctx
def note(state: CliContext, finding_id: int, text: tuple[str, ...]) -> None:
    """Add a note to a finding."""
    with state.core.db.writer() as session:
        finding_service.add_note(
            session=session,
            finding_id=finding_id,
            actor=state.actor,
            text=" ".join(text),
            now=state.core.clock.now(),
        )
    click.echo(f"note added to finding {finding_id}")
