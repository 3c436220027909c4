"""``warden rules``: the stored rules (copied from the shipped packs), their switches and
edits, and replaying history through a rule: "why didn't it fire?"."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import click

from core.clock import from_ms, to_ms
from core.errors import InvalidInput
from core.rule_runner import log_event
from core.rules import (
    AnomalyRule,
    AverageRule,
    Firing,
    PatternRule,
    ThresholdRule,
    load_packs,
    replay,
    replay_telemetry,
)
from core.services import logs as log_service
from core.services import telemetry
from core.services.rules import RULES
from core.timeparse import parse_time
from warden.catalog import sync_catalog
from warden.cli.catalog_cmds import add_catalog_commands
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_json, safe
from warden.paths import rule_packs

REPLAY_LIMIT = 200_000
"""Log lines replayed at most (the newest)."""
REPLAY_POINTS = 50_000
"""Readings per device replayed at most (the newest)."""


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
        rule = RULES.get(session=session, entry_id=rule_id)
    rule = rule.model_copy(update={"enabled": True})  # a disabled rule can be tried too
    if isinstance(rule, PatternRule | AverageRule):
        report = _replay_logs(state, rule, since_ms, until_ms)
    elif isinstance(rule, ThresholdRule | AnomalyRule):
        report = _replay_readings(state, rule, since_ms, until_ms)
    else:
        raise InvalidInput(
            f"{rule_id} ({rule.kind} rule) judges the present (liveness, sequence "
            f"counters, Warden's own health), whose history is not kept, so it cannot be "
            f"replayed; `warden findings list --rule {rule_id}` shows what it raised"
        )
    firings: list[Firing] = report.pop("firings")
    if as_json:
        print_json({"rule": rule_id, **report, "firings": [dataclasses.asdict(f) for f in firings]})
        return
    click.echo(f"{rule_id}: {report['looked_at']}, {len(firings)} firing(s)")
    for firing in firings:
        click.echo(f"  {from_ms(firing.ts_ms):%Y-%m-%d %H:%M:%S}  {safe(firing.summary)}")
    if not firings:
        click.echo(f"  {report['why_not']}")


def _replay_logs(
    state: CliContext, rule: PatternRule | AverageRule, since_ms: int, until_ms: int
) -> dict[str, Any]:
    with state.core.db.reader() as session:
        lines = log_service.query_logs(
            session=session, since_ms=since_ms, until_ms=until_ms, limit=REPLAY_LIMIT
        )
    events = [log_event(r) for r in reversed(lines)]
    selected = [e for e in events if rule.selects(e)]
    pattern = re.compile(rule.regex)
    matched = sum(1 for e in selected if pattern.search(e.message))
    if not events:
        why = "no log lines were stored in that time"
    elif not selected:
        why = "no stored line passes the rule's class/app/host restrictions"
    elif not matched:
        why = f"{len(selected)} line(s) passed the restrictions but none matched the regex"
    elif isinstance(rule, PatternRule):
        why = (
            f"{matched} line(s) matched, but never {rule.threshold} for one key "
            f"({rule.key}) within {rule.window_s} s"
        )
    else:
        why = (
            f"{matched} line(s) matched, but never {rule.min_count} readings for one key "
            f"within {rule.window_s} s averaging {rule.op} {rule.bound:g}"
        )
    return {
        "lines": len(events),
        "selected": len(selected),
        "matched": matched,
        "looked_at": f"{len(events)} lines replayed, {matched} matched",
        "why_not": why,
        "firings": replay([rule], events),
    }


def _replay_readings(
    state: CliContext, rule: ThresholdRule | AnomalyRule, since_ms: int, until_ms: int
) -> dict[str, Any]:
    history_s = rule.window_s if isinstance(rule, AnomalyRule) else rule.for_s
    with state.core.db.reader() as session:
        windows = telemetry.metric_windows(
            session=session,
            metric=rule.metric,
            since_ms=since_ms - history_s * 1000,
            until_ms=until_ms,
            max_points=REPLAY_POINTS,
        )
    firings: list[Firing] = []
    readings = 0
    for device_id, device_type, points in windows:
        readings += len(points)
        firings += replay_telemetry(
            rule,
            device_id=device_id,
            device_type=device_type,
            points=points,
            since_ms=since_ms,
            until_ms=until_ms,
        )
    firings.sort(key=lambda f: f.ts_ms)
    if not windows:
        why = f"no device has readings of {rule.metric!r} in that time"
    elif isinstance(rule, ThresholdRule):
        why = f"no reading stayed {rule.op} {rule.value:g} for {rule.for_s} s" + (
            f" on a {rule.device_type}" if rule.device_type else ""
        )
    else:
        why = (
            f"no reading lay more than {rule.z:g} robust deviations from the {rule.window_s} s "
            f"before it (with at least {rule.min_count} readings there)"
        )
    return {
        "devices": len(windows),
        "readings": readings,
        "looked_at": f"{readings} readings of {rule.metric} from {len(windows)} device(s)",
        "why_not": why,
        "firings": firings,
    }
