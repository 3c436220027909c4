"""``warden findings``: what is wrong, and its lifecycle."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from core.models import FindingStatus
from core.models.finding import SEVERITIES
from core.services import finding_explain
from core.services import findings as finding_service
from core.services.finding_explain import FindingExplained
from core.services.findings import FindingOrder
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
@click.option(
    "--order",
    type=click.Choice(["severity", "recent"]),
    default="severity",
    show_default=True,
    help="severity: unresolved first, most severe first; recent: most recently seen first.",
)
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@pass_ctx
def list_(
    state: CliContext,
    status: str | None,
    severity: str | None,
    rule_id: str | None,
    device: str | None,
    order: FindingOrder,
    limit: int,
    as_json: bool,
) -> None:
    """Findings: what needs attention first (or most recently seen first)."""
    with state.read_core.db.reader() as session:
        found = finding_service.list_findings(
            session=session,
            status=FindingStatus(status) if status else None,
            severity=severity,
            rule_id=rule_id,
            device_id=device,
            order=order,
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


def _show(shown: FindingExplained) -> None:
    found = shown.finding
    print_fields(
        [
            ("id", found.id),
            ("severity", found.severity),
            ("status", found.status.value),
            ("rule", f"{shown.rule.name} ({found.rule_id})"),
            ("key", found.key),
            ("device", found.device_id),
            ("summary", found.summary),
            ("count", found.count),
            ("first seen", f"{local_time(found.first_seen)} ({ago(found.first_seen)})"),
            ("last seen", f"{local_time(found.last_seen)} ({ago(found.last_seen)})"),
            ("opened", shown.opened),
            ("acknowledged by", found.acked_by),
            ("resolved by", found.resolved_by),
        ]
    )
    if shown.rule.description:
        click.echo(f"\nwhat it means: {safe(shown.rule.description)}")
    if shown.rule.remediation:
        click.echo(f"what to do:    {safe(shown.rule.remediation)}")
    if shown.details:
        click.echo("\ndetails:")
        for line in shown.details:
            value = f"{local_time(line.at)} ({ago(line.at)})" if line.at else line.text
            click.echo(f"  {safe(line.label)}: {safe(value)}")
    if shown.evidence:
        click.echo("\nevidence:")
        for log_line in shown.evidence:
            click.echo(
                f"  {local_time(log_line.received_at)} {safe(log_line.host or '-')} "
                f"{safe(log_line.app or '-')}: {safe(log_line.message)}"
            )
    for note in found.notes:
        click.echo(f"  note by {safe(note.author)} at {note.at:%Y-%m-%d %H:%M}: {safe(note.text)}")


def local_time(at: datetime) -> str:
    return at.astimezone().strftime("%Y-%m-%d %H:%M:%S %Z")


def ago(at: datetime) -> str:
    seconds = max(0, int((datetime.now(UTC) - at).total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


@findings.command("show")
@click.argument("finding_id", type=int)
@json_option
@pass_ctx
def show(state: CliContext, finding_id: int, as_json: bool) -> None:
    """One finding: what its rule means and what to do, its details, the log lines it
    cites (whole) and its notes."""
    with state.read_core.db.reader() as session:
        shown = finding_explain.explain(session=session, finding_id=finding_id)
    if as_json:
        print_json(
            {
                **shown.finding.model_dump(mode="json"),
                "rule": shown.rule.model_dump(mode="json"),
                "evidence_lines": [e.model_dump(mode="json") for e in shown.evidence],
            }
        )
    else:
        _show(shown)


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
