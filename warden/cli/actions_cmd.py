"""``warden actions``: what playbooks propose or did, and the approval queue."""

from __future__ import annotations

import json

import click

from core.models import ActionPublic, ActionState
from core.services import actions as action_service
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_fields, print_json, print_table, safe


@click.group()
def actions() -> None:
    """Playbook actions: list, show, approve, reject."""


@actions.command("list")
@click.option("--state", "action_state", type=click.Choice([s.value for s in ActionState]))
@click.option("--finding", "finding_id", type=int, help="Only actions about this finding.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 10_000))
@json_option
@pass_ctx
def list_(
    state: CliContext, action_state: str | None, finding_id: int | None, limit: int, as_json: bool
) -> None:
    """Actions, newest first (``--state proposed`` is the approval queue)."""
    with state.read_core.db.reader() as session:
        found = action_service.list_actions(
            session=session,
            reader=state.actor,
            state=action_state,
            finding_id=finding_id,
            limit=limit,
        ).items
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo("no actions")
        return
    print_table(
        ["id", "state", "playbook", "finding", "device", "proposed", "title"],
        [
            (a.id, a.state.value, a.playbook_id, a.finding_id, a.device_id, a.proposed_at, a.title)
            for a in found
        ],
    )


def _show(action: ActionPublic) -> None:
    print_fields(
        [
            ("id", action.id),
            ("state", action.state.value),
            ("playbook", action.playbook_id),
            ("mode", action.mode),
            ("finding", action.finding_id),
            ("device", action.device_id),
            ("title", action.title),
            ("proposed", action.proposed_at),
            ("decided", f"{safe(action.decided_by)} at {safe(action.decided_at)}"),
            ("finished", action.finished_at),
            ("reason", action.reason),
            *([("output", f"hidden: {action.outputs_hidden}")] if action.outputs_hidden else []),
        ]
    )
    for number, step in enumerate(action.steps, 1):
        click.echo(f"step {number}: {safe(json.dumps(step, ensure_ascii=False))}")
        if number <= len(action.results):
            result = action.results[number - 1]
            mark = "ok" if result.get("ok") else "FAILED"
            click.echo(f"  {mark}: {safe(result.get('error') or '')}")
            for line in str(result.get("output") or "").splitlines()[-40:]:
                click.echo(f"  | {safe(line)}")


@actions.command("show")
@click.argument("action_id", type=int)
@json_option
@pass_ctx
def show(state: CliContext, action_id: int, as_json: bool) -> None:
    """One action: its steps exactly as they will run (or ran) and their output."""
    with state.read_core.db.reader() as session:
        action = action_service.get_action(session=session, action_id=action_id, reader=state.actor)
    if as_json:
        print_json(action)
    else:
        _show(action)


@actions.command("approve")
@click.argument("action_id", type=int)
@pass_ctx
def approve(state: CliContext, action_id: int) -> None:
    """Approve a proposed action; the agent runs it within seconds."""
    with state.core.db.writer() as session:
        action = action_service.approve(
            session=session, action_id=action_id, actor=state.actor, now=state.core.clock.now()
        )
    click.echo(f"action {action.id} approved: {safe(action.title)}")


@actions.command("reject")
@click.argument("action_id", type=int)
@click.option("--reason", default="", help="Why (kept with the action).")
@pass_ctx
def reject(state: CliContext, action_id: int, reason: str) -> None:
    """Reject a proposed action; nothing of it runs."""
    with state.core.db.writer() as session:
        action = action_service.reject(
            session=session,
            action_id=action_id,
            actor=state.actor,
            now=state.core.clock.now(),
            reason=reason,
        )
    click.echo(f"action {action.id} rejected: {safe(action.reason)}")
