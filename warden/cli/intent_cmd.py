"""``warden intent``: the intent language: parse, plan, submit, list, show, revoke."""

from __future__ import annotations

import click

from core.intents import parse_intent
from core.models import IntentStatus
from core.services import intents as intent_service
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.exits import EXIT_BAD_INPUT
from warden.cli.output import print_fields, print_json, print_table, safe


@click.group()
def intent() -> None:
    """Say what the network should do, in plain English (see INTENTS.md)."""


@intent.command("parse")
@click.argument("text", nargs=-1, required=True)
@json_option
def parse(text: tuple[str, ...], as_json: bool) -> None:
    """Show how Warden reads TEXT, without touching anything. Exits 2 when it cannot.

    Example: warden intent parse "limit cameras to 2 mbit and prioritize doorbell-1"
    """
    result = parse_intent(" ".join(text))
    if as_json:
        print_json(result)
    elif result.ok:
        for number, item in enumerate(result.intents, start=1):
            prefix = f"{number}. " if len(result.intents) > 1 else ""
            click.echo(f"{prefix}{safe(item.explanation)}")
        for warning in result.warnings:
            click.echo(f"warning: {safe(warning)}")
    else:
        assert result.error is not None
        click.echo(f"not understood ({result.error.code}): {safe(result.error.message)}", err=True)
        for suggestion in result.error.suggestions:
            click.echo(f"  try: {safe(suggestion)}", err=True)
    if not result.ok:
        raise SystemExit(EXIT_BAD_INPUT)


@intent.command("plan")
@click.argument("text", nargs=-1, required=True)
@click.option(
    "--replaces",
    "replaces",
    multiple=True,
    type=int,
    metavar="ID",
    help="An intent this one is meant to replace (its conflicts are then expected).",
)
@json_option
@pass_ctx
def plan(
    state: CliContext, text: tuple[str, ...], replaces: tuple[int, ...], as_json: bool
) -> None:
    """What TEXT would change (kernel classes, firewall rules, device commands) and what
    conflicts with the live intents. Applies nothing."""
    with state.core.db.reader() as session:
        planned = intent_service.plan(session=session, text=" ".join(text), replaces=replaces)
    if as_json:
        print_json(planned)
        return
    for item in planned.intents:
        click.echo(f"{item.position + 1}. {safe(item.explanation)}")
        if item.devices:
            click.echo(f"   devices: {safe(', '.join(item.devices))}")
        if item.revokes:
            click.echo(f"   ends intents: {', '.join(map(str, item.revokes))}")
    click.echo(planned.rendered.rstrip())
    for warning in planned.warnings:
        if warning not in planned.rendered:  # the plan text already carries the compiler's
            click.echo(f"Warning: {safe(warning)}")
    if not planned.ok:
        raise SystemExit(EXIT_BAD_INPUT)


@intent.command("submit")
@click.argument("text", nargs=-1, required=True)
@click.option(
    "--replaces",
    "replaces",
    multiple=True,
    type=int,
    metavar="ID",
    help="An intent this one replaces (it is ended when this one is stored).",
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_ctx
def submit(
    state: CliContext, text: tuple[str, ...], replaces: tuple[int, ...], yes: bool, as_json: bool
) -> None:
    """Plan TEXT, show the plan, and store it (as planned; enforcement applies it)."""
    sentence = " ".join(text)
    if not yes:
        with state.core.db.reader() as session:
            planned = intent_service.plan(session=session, text=sentence, replaces=replaces)
        click.echo(planned.rendered.rstrip(), err=True)
        if not planned.ok:
            raise SystemExit(EXIT_BAD_INPUT)
        click.confirm("Submit this?", abort=True, err=True)
    with state.core.db.writer() as session:
        stored, ended = intent_service.submit(
            session=session,
            text=sentence,
            actor=state.actor,
            now=state.core.clock.now(),
            replaces=replaces,
        )
    if as_json:
        print_json({"intents": stored, "ended": ended})
        return
    for record in stored:
        click.echo(f"intent {record.id}: {safe(record.explanation)} ({record.status.value})")
    for intent_id in ended:
        click.echo(f"intent {intent_id} ended")


@intent.command("list")
@click.option("--status", type=click.Choice([s.value for s in IntentStatus]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@pass_ctx
def list_(state: CliContext, status: str | None, limit: int, as_json: bool) -> None:
    """Intents, newest first."""
    with state.core.db.reader() as session:
        found = intent_service.list_intents(
            session=session, status=IntentStatus(status) if status else None, limit=limit
        )
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo("no intents")
        return
    print_table(
        ["id", "status", "kind", "policies", "owner", "created", "explanation"],
        [
            (i.id, i.status.value, i.kind, len(i.policies), i.owner, i.created_at, i.explanation)
            for i in found
        ],
    )


@intent.command("show")
@click.argument("intent_id", type=int)
@json_option
@pass_ctx
def show(state: CliContext, intent_id: int, as_json: bool) -> None:
    """One intent and its policies."""
    with state.core.db.reader() as session:
        found = intent_service.get_intent(session=session, intent_id=intent_id)
    if as_json:
        print_json(found)
        return
    print_fields(
        [
            ("id", found.id),
            ("text", found.text),
            ("explanation", found.explanation),
            ("status", found.status.value),
            ("owner", f"{found.owner} ({found.origin})"),
            ("created", found.created_at),
            ("expires", found.expires_at),
            ("note", found.note),
        ]
    )
    for policy in found.policies:
        click.echo(f"  [{policy.status.value}] {safe(policy.summary)}")


@intent.command("revoke")
@click.argument("intent_id", type=int)
@json_option
@pass_ctx
def revoke(state: CliContext, intent_id: int, as_json: bool) -> None:
    """End a live intent (its policies are removed by enforcement)."""
    with state.core.db.writer() as session:
        ended = intent_service.revoke(
            session=session, intent_id=intent_id, actor=state.actor, now=state.core.clock.now()
        )
    if as_json:
        print_json(ended)
    else:
        click.echo(f"intent {ended.id} revoked")
