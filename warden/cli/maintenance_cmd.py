"""``warden maintenance``: windows during which findings are recorded but suppressed."""

from __future__ import annotations

from datetime import timedelta

import click

from core.services import maintenance as maintenance_service
from core.timeparse import parse_time
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_json, print_table

_UNITS = {"m": 60, "h": 3600, "d": 86400}


def _duration(text: str) -> timedelta:
    number, unit = text[:-1], text[-1:].lower()
    if unit not in _UNITS or not number.isdigit() or int(number) == 0:
        raise click.BadParameter(f"{text!r} is not like 30m, 2h or 1d", param_hint="--for")
    return timedelta(seconds=int(number) * _UNITS[unit])


@click.group()
def maintenance() -> None:
    """Maintenance windows: findings for what they cover are suppressed."""


@maintenance.command("add")
@click.option("--device", help="One device (id or name).")
@click.option("--type", "type_", help="A device type (and its subtypes).")
@click.option("--tag", help="Devices with this tag.")
@click.option("--location", help="Devices at this location.")
@click.option(
    "--all", "everything", is_flag=True, help="Everything, findings without a device too."
)
@click.option("--from", "start", help="Start time instead of now (ISO 8601, -1h, …).")
@click.option("--for", "length", default="1h", show_default=True, help="30m, 2h, 1d…")
@click.option("--until", help="End time instead of --for (ISO 8601, -1h, …).")
@click.option(
    "--every",
    type=click.Choice(sorted(maintenance_service.PERIODS)),
    help="Repeat the window every day or week.",
)
@click.option("--repeat-until", help="With --every: occurrences start only before this time.")
@click.option("--reason", default="maintenance", show_default=True)
@json_option
@pass_ctx
def add(
    state: CliContext,
    device: str | None,
    type_: str | None,
    tag: str | None,
    location: str | None,
    everything: bool,
    start: str | None,
    length: str,
    until: str | None,
    every: str | None,
    repeat_until: str | None,
    reason: str,
    as_json: bool,
) -> None:
    """Start a maintenance window now (or --from a time); with --every, that is its first
    occurrence."""
    given = {
        k: v
        for k, v in {"device": device, "type": type_, "tag": tag, "location": location}.items()
        if v
    }
    if everything == bool(given):
        raise click.UsageError("say what it covers: --all, or --device/--type/--tag/--location")
    selector: dict[str, object] = {"all": True} if everything else given
    if repeat_until and not every:
        raise click.UsageError("--repeat-until goes with --every day|week")
    now = state.core.clock.now()
    starts = parse_time(start, now=now) if start else now
    ends = parse_time(until, now=now) if until else starts + _duration(length)
    with state.core.db.writer() as session:
        window = maintenance_service.add_window(
            session=session,
            reason=reason,
            selector=selector,
            starts_at=starts,
            ends_at=ends,
            actor=state.actor,
            every=every,
            repeat_until=parse_time(repeat_until, now=now) if repeat_until else None,
        )
    if as_json:
        print_json(window)
    elif window.every is None:
        click.echo(f"maintenance {window.id} until {window.ends_at:%Y-%m-%d %H:%M} UTC")
    else:
        click.echo(
            f"maintenance {window.id} every {window.every}, first "
            f"{window.starts_at:%Y-%m-%d %H:%M} to {window.ends_at:%Y-%m-%d %H:%M} UTC"
            + (f", until {window.repeat_until:%Y-%m-%d %H:%M} UTC" if window.repeat_until else "")
        )


@maintenance.command("list")
@click.option("--all", "include_past", is_flag=True, help="Past windows too.")
@json_option
@pass_ctx
def list_(state: CliContext, include_past: bool, as_json: bool) -> None:
    """Current and coming maintenance windows."""
    now = state.read_core.clock.now()
    with state.read_core.db.reader() as session:
        found = maintenance_service.list_windows(
            session=session, now=now, include_past=include_past
        ).items
    if as_json:
        print_json(found)
        return
    if not found:
        click.echo("no maintenance windows")
        return
    rows = []
    for w in found:
        # the current or next occurrence; a window that is over shows when it began and ended
        starts, ends = maintenance_service.next_occurrence(w, now) or (
            w.starts_at,
            w.ended_early_at or w.ends_at,
        )
        every = w.every and (
            f"{w.every} to {w.repeat_until:%Y-%m-%d %H:%M}" if w.repeat_until else w.every
        )
        covered = ", ".join(f"{k}={v}" for k, v in w.selector.items())
        rows.append((w.id, covered, every, starts, ends, w.created_by, w.reason))
    print_table(["id", "covers", "every", "from", "until", "by", "reason"], rows)


@maintenance.command("end")
@click.argument("window_id", type=int)
@pass_ctx
def end(state: CliContext, window_id: int) -> None:
    """End a maintenance window now; a recurring one stops recurring."""
    with state.core.db.writer() as session:
        maintenance_service.end_window(
            session=session, window_id=window_id, actor=state.actor, now=state.core.clock.now()
        )
    click.echo(f"maintenance {window_id} ended")
