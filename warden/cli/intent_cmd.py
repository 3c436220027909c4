"""``warden intent``: the intent language: parse, plan, submit, list, show, revoke."""

from __future__ import annotations

import time

import click

from core.intents import parse_intent
from core.models import IntentPublic, IntentStatus, PolicyStatus
from core.services import intents as intent_service
from core.services import runtime
from core.services.intents import IntentConflict
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.exits import EXIT_BAD_INPUT, CommandFailed
from warden.cli.output import print_fields, print_json, print_table, safe
from warden.enforcement import dry_run_reasons

SETTLED = (IntentStatus.ACTIVE, IntentStatus.SCHEDULED, IntentStatus.FAILED)
POLL_S = 0.2
HISTORY_SHOWN = 20


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
        click.echo(f"not understood: {safe(result.error.message)}", err=True)
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
        planned = intent_service.plan(
            session=session,
            text=" ".join(text),
            replaces=replaces,
            features=state.core.kernel.features(),
        )
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
@click.option(
    "--wait",
    default=15.0,
    show_default=True,
    type=click.FloatRange(0, 600),
    help="Seconds to wait for the running agent to apply it (0: do not wait).",
)
@json_option
@pass_ctx
def submit(
    state: CliContext,
    text: tuple[str, ...],
    replaces: tuple[int, ...],
    yes: bool,
    wait: float,
    as_json: bool,
) -> None:
    """Plan TEXT, show the plan, store it, and wait for the agent to apply it (active,
    scheduled or failed, with the reason; in a dry run: planned, recorded but not
    applied)."""
    sentence = " ".join(text)
    features = state.core.kernel.features()
    if not yes:
        with state.core.db.reader() as session:
            planned = intent_service.plan(
                session=session, text=sentence, replaces=replaces, features=features
            )
        click.echo(planned.rendered.rstrip(), err=True)
        if not planned.ok:
            raise SystemExit(EXIT_BAD_INPUT)
        click.confirm("Submit this?", abort=True, err=True)
    try:
        with state.core.db.writer() as session:
            stored, ended = intent_service.submit(
                session=session,
                text=sentence,
                actor=state.actor,
                now=state.core.clock.now(),
                replaces=replaces,
                features=features,
            )
    except IntentConflict as conflict:
        hint = " ".join(f"--replaces {i}" for i in conflict.live_ids)
        raise CommandFailed(
            f"{conflict.msg}; on the command line: {hint}" if hint else conflict.msg,
            EXIT_BAD_INPUT,
        ) from conflict
    _warn_dry_run(state)
    waited = _wait_applied(state, stored, wait)
    if as_json:
        print_json({"intents": waited, "ended": ended})
        return
    for intent_id in ended:
        click.echo(f"intent {intent_id} ended")
    for record in waited:
        line = f"intent {record.id}: {safe(record.explanation)} ({record.status_label})"
        if record.status == IntentStatus.FAILED and record.note:
            line += f": {safe(record.note)}"
        click.echo(line)
        for policy in record.policies:
            if policy.last_error:
                click.echo(f"  {safe(policy.summary)}: {safe(policy.last_error)}")


def _warn_dry_run(state: CliContext) -> None:
    tc_reasons, nft_reasons = dry_run_reasons(state.settings)
    reasons = list(dict.fromkeys(tc_reasons + nft_reasons))
    if reasons:
        click.echo(
            f"DRY RUN: the kernel is not changed ({'; '.join(reasons)}); "
            "plans are recorded and device settings are still sent",
            err=True,
        )


def _wait_applied(state: CliContext, stored: list[IntentPublic], wait: float) -> list[IntentPublic]:
    """The stored intents once the running agent has settled them, or as they are when it
    is not running or ``wait`` runs out (said on stderr)."""
    core = state.core
    with core.db.reader() as session:
        agent = runtime.get_state(session=session, key=runtime.AGENT_KEY, now=core.clock.now())
    if not stored or wait <= 0:
        return stored
    if not (agent or {}).get("running"):
        click.echo("the agent is not running: it applies the intent when it starts", err=True)
        return stored
    deadline = time.monotonic() + wait
    while True:
        with core.db.reader() as session:
            current = [intent_service.get_intent(session=session, intent_id=i.id) for i in stored]
        if all(i.status in SETTLED or i.dry_run is not None for i in current):
            return current
        if time.monotonic() >= deadline:
            click.echo(
                f"not applied within {wait:g} s (a device that has not acked yet?); "
                "`warden intent show ID` follows it",
                err=True,
            )
            return current
        time.sleep(POLL_S)


@intent.command("list")
@click.option("--status", type=click.Choice([s.value for s in IntentStatus]))
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@pass_ctx
def list_(state: CliContext, status: str | None, limit: int, as_json: bool) -> None:
    """Intents, newest first."""
    with state.read_core.db.reader() as session:
        found = intent_service.list_intents(
            session=session, status=IntentStatus(status) if status else None, limit=limit
        ).items
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo("no intents")
        return
    print_table(
        ["id", "status", "verdict", "kind", "policies", "owner", "created", "explanation"],
        [
            (
                i.id,
                i.status_label,
                i.verdict_label or "-",
                i.kind,
                len(i.policies),
                i.owner,
                i.created_at,
                i.explanation,
            )
            for i in found
        ],
    )


@intent.command("show")
@click.argument("intent_id", type=int)
@json_option
@pass_ctx
def show(state: CliContext, intent_id: int, as_json: bool) -> None:
    """One intent: its policies with what was applied, the verification verdict with what
    was measured, the satisfaction ratio and the last checks."""
    with state.read_core.db.reader() as session:
        found = intent_service.get_intent(session=session, intent_id=intent_id)
        checks = intent_service.history(session=session, intent_id=intent_id, limit=HISTORY_SHOWN)
    if as_json:
        print_json({**found.model_dump(mode="json"), "history": checks})
        return
    print_fields(
        [
            ("id", found.id),
            ("text", found.text),
            ("explanation", found.explanation),
            ("status", found.status_label),
            ("owner", f"{found.owner} ({found.origin})"),
            ("created", found.created_at),
            ("expires", found.expires_at),
            ("schedule", found.parsed.schedule.model_dump() if found.parsed.schedule else None),
            ("note", found.note),
            ("verdict", found.verdict_label or "not checked yet"),
            ("why", found.verdict_reason),
            ("last check", found.checked_at),
            (
                "satisfaction",
                f"{found.satisfaction:.0%} of {found.checks} checks"
                if found.satisfaction is not None
                else None,
            ),
        ]
    )
    for policy in found.policies:
        verdict = f" {policy.verdict.value}" if policy.verdict else ""
        click.echo(f"  [{policy.status.value}{verdict}] {safe(policy.summary)}")
        if policy.status == PolicyStatus.DRY_RUN:
            click.echo(f"      {safe(policy.status_label)}")
        elif policy.last_error:
            click.echo(f"      {safe(policy.last_error)}")


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
