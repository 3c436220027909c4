"""Exit statuses and the one-line failure every command ends with."""

from __future__ import annotations

from typing import Any

import click

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1


class CommandFailed(click.ClickException):
    """A failure said in one line on stderr (``warden: …``) with an exit status."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file: Any = None) -> None:
        click.echo(f"warden: {self.message}", err=True)
