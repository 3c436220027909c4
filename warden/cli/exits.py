"""Exit helpers shared by commands."""

from __future__ import annotations

import click

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1


def not_built(what: str, arrives_with: str) -> None:
    click.echo(f"warden: {what} is not built yet; it arrives with {arrives_with}.", err=True)
    raise SystemExit(EXIT_BAD_INPUT)
