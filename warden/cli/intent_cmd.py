"""``warden intent``: the intent language. Parsing works now; plan, submit, list and revoke
arrive with the rest of the intent-language issue."""

from __future__ import annotations

import click

from core.intents import parse_intent
from warden.cli.context import json_option
from warden.cli.exits import EXIT_BAD_INPUT
from warden.cli.output import print_json, safe


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
