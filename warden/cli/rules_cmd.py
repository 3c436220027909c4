"""``warden rules``: the stored rules (copied from the shipped packs), their switches and
edits, replaying history through a rule ("why didn't it fire?") and trying one line against
it ("does it count this line, and if not, which of its wordings came closest?")."""

from __future__ import annotations

import dataclasses

import click

from core.clock import from_ms, to_ms
from core.errors import InvalidInput
from core.rules import load_packs
from core.rules.explain import NearestMiss
from core.services.rule_replay import LineCheck, check_line, replay_rule
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
@click.option(
    "--line",
    "line",
    default=None,
    help="Try this one line instead of history: a whole syslog line (<PRI>…) or a message.",
)
@click.option("--app", default=None, help="With --line: the program that printed the message.")
@click.option("--host", default=None, help="With --line: the host that sent the message.")
@json_option
@pass_ctx
def test(
    state: CliContext,
    rule_id: str,
    since: str,
    until: str,
    line: str | None,
    app: str | None,
    host: str | None,
    as_json: bool,
) -> None:
    """When RULE (as stored now, edits included) would have fired on the stored logs or
    readings, and why not when it did not; with --line, whether it counts that line, and
    if not, the nearest of its wordings and where the line parts from it."""
    sync_catalog(state.core)
    now = state.core.clock.now()
    if line is not None:
        with state.core.db.reader() as session:
            check = check_line(
                session=session, rule_id=rule_id, line=line, app=app, host=host,
                received_ms=to_ms(now),
            )  # fmt: skip
        _show_check(check, as_json=as_json)
        return
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
                "nearest_line": report.nearest_line,
                "nearest": dataclasses.asdict(report.nearest) if report.nearest else None,
            }
        )
        return
    click.echo(f"{rule_id}: {report.looked_at}, {len(firings)} firing(s)")
    for firing in firings:
        click.echo(f"  {from_ms(firing.ts_ms):%Y-%m-%d %H:%M:%S}  {safe(firing.summary)}")
    if not firings:
        click.echo(f"  {report.why_not}")
    if report.nearest is not None and report.nearest_line is not None:
        click.echo(f"  closest line: {safe(report.nearest_line)}")
        _show_miss(report.nearest)


def _show_check(check: LineCheck, *, as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "rule": check.rule_id,
                "matched": check.matched,
                "key": check.key,
                "captures": check.captures,
                "log_class": check.log_class,
                "refused_by": check.refused_by,
                "nearest": dataclasses.asdict(check.nearest) if check.nearest else None,
                "explanation": check.explanation(),
            }
        )
        return
    origin = f"from {safe(check.app or 'an untagged program')}, sorted as {check.log_class}"
    if check.refused_by is not None:
        click.echo(f"{check.rule_id}: does not read this line ({origin})")
        click.echo(f"  {safe(check.refused_by)}")
    elif check.matched:
        click.echo(f"{check.rule_id}: counts this line under key {safe(check.key or '')}")
        for name, value in check.captures.items():
            click.echo(f"  {name} = {safe(value)}")
    else:
        click.echo(f"{check.rule_id}: does not match this line ({origin})")
        assert check.nearest is not None
        _show_miss(check.nearest)


def _show_miss(miss: NearestMiss) -> None:
    click.echo(f"  nearest wording: {miss.pattern}")
    if miss.at_end:
        click.echo(f"  its end matched: {safe(repr(miss.matched))}")
        click.echo(f"  before that it expected: {miss.expected}")
        click.echo(f"  where the line has: {safe(repr(miss.found)) if miss.found else 'nothing'}")
    elif miss.matched:
        click.echo(f"  it matched: {safe(repr(miss.matched))}")
        click.echo(f"  then expected: {miss.expected}")
        click.echo(f"  where the line has: {safe(repr(miss.found)) if miss.found else 'its end'}")
    else:
        click.echo(f"  its start does not occur in the line: {miss.expected}")
