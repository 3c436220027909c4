"""``warden rules``: the shipped rule packs, and replaying stored logs through a rule."""

from __future__ import annotations

import dataclasses
import re

import click

from core.clock import from_ms, to_ms
from core.errors import NotFound
from core.rules import LogEvent, load_packs, replay
from core.services import logs as log_service
from core.timeparse import parse_time
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_json, print_table
from warden.paths import rule_packs

REPLAY_LIMIT = 200_000


@click.group()
def rules() -> None:
    """Rules that turn logs and telemetry into findings (packs in data/rules)."""


@rules.command("list")
@json_option
def list_(as_json: bool) -> None:
    """Every rule of the shipped packs."""
    found = load_packs(rule_packs())
    if as_json:
        print_json(found)
        return
    print_table(
        ["id", "kind", "severity", "enabled", "name"],
        [(r.id, r.kind, r.severity, "yes" if r.enabled else "no", r.name) for r in found],
    )


@rules.command("test")
@click.argument("rule_id")
@click.option("--since", default="-24h", show_default=True, help="Replay from: -24h, ISO…")
@click.option("--until", default="now", show_default=True)
@json_option
@pass_ctx
def test(state: CliContext, rule_id: str, since: str, until: str, as_json: bool) -> None:
    """When RULE would have fired on the stored logs, and why (log rules only for now)."""
    by_id = {r.id: r for r in load_packs(rule_packs())}
    rule = by_id.get(rule_id)
    if rule is None:
        raise NotFound(f"no rule {rule_id!r}; `warden rules list` shows them")
    if rule.kind not in ("pattern", "average"):
        raise NotFound(f"{rule_id} is a {rule.kind} rule; replay covers log rules so far")
    now = state.core.clock.now()
    since_ms, until_ms = to_ms(parse_time(since, now=now)), to_ms(parse_time(until, now=now))
    with state.core.db.reader() as session:
        lines = log_service.query_logs(
            session=session, since_ms=since_ms, until_ms=until_ms, limit=REPLAY_LIMIT
        )
    events = [
        LogEvent(
            ts_ms=r.ts,
            id=r.id,
            host=r.host,
            app=r.app,
            log_class=r.log_class,
            message=r.message,
            device_id=r.device_id,
            source_ip=r.source_ip,
        )
        for r in reversed(lines)
    ]
    pattern = re.compile(rule.regex)
    matched = sum(1 for e in events if rule.selects(e) and pattern.search(e.message))
    firings = replay([rule], events)
    if as_json:
        print_json(
            {
                "rule": rule_id,
                "lines": len(events),
                "matched": matched,
                "firings": [dataclasses.asdict(f) for f in firings],
            }
        )
        return
    click.echo(
        f"{rule_id}: {len(events)} lines replayed, {matched} matched, {len(firings)} firing(s)"
    )
    for firing in firings:
        click.echo(f"  {from_ms(firing.ts_ms):%Y-%m-%d %H:%M:%S} {firing.summary}")
    if not firings and matched:
        click.echo(
            f"  matched lines never reached the threshold within its window "
            f"({getattr(rule, 'threshold', '?')} in {rule.window_s} s)"
        )
