"""``warden rules``: the stored rules (copied from the shipped packs), their switches and
edits, and replaying history through a rule: "why didn't it fire?"."""

from __future__ import annotations

import dataclasses

import click

from core.clock import from_ms, to_ms
from core.errors import InvalidInput
from core.rules import load_packs
from core.services.rule_replay import replay_rule
from core.services.rules import RULES
from core.timeparse import parse_time
from warden.catalog import sync_catalog
from warden.cli.catalog_cmds import add_catalog_commands
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_json, safe
from warden.paths import rule_packs


@click.group()
def rules() -> None:
    """Rules that turn logs and telemetry into findings: list, show, enable, disable, set,
    reset, test."""


add_catalog_commands(
    rules,
    RULES,
    lambda: load_packs(rule_packs()),
    ("severity", "severity"),
)


@rules.command("test")
@click.argument("rule_id")
@click.option("--since", default="-24h", show_default=True, help="Replay from: -24h, ISO…")
@click.option("--until", default="now", show_default=True)
@json_option
@pass_ctx
def test(state: CliContext, rule_id: str, since: str, until: str, as_json: bool) -> None:
    """When RULE (as stored now, edits included) would have fired on the stored logs or
    readings, and why not when it did not."""
    sync_catalog(state.core)
    now = state.core.clock.now()
    since_ms, until_ms = to_ms(parse_time(since, now=now)), to_ms(parse_time(until, now=now))
    if since_ms >= until_ms:
        raise InvalidInput(f"--since ({since}) must be before --until ({until})")
    with state.core.db.reader() as session:
        report = replay_rule(session=session, rule_id=rule_id, since_ms=since_ms, until_ms=until_ms)
    firings = report.firings
    if as_json:
        print_json(
            {
                "rule": rule_id,
                **report.counts,
                "looked_at": report.looked_at,
                "why_not": report.why_not,
                "firings": [dataclasses.asdict(f) for f in firings],
            }
        )
        return
    click.echo(f"{rule_id}: {report.looked_at}, {len(firings)} firing(s)")
    for firing in firings:
        click.echo(f"  {from_ms(firing.ts_ms):%Y-%m-%d %H:%M:%S}  {safe(firing.summary)}")
    if not firings:
        click.echo(f"  {report.why_not}")
