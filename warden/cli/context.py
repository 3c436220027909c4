"""What every command shares: the settings and, opened only when a command needs it, the
``Core`` (database, clock, kernel features)."""

from __future__ import annotations

from pathlib import Path

import click

from core.config import Settings, load_settings
from core.models import Actor, Origin
from core.runtime import Core
from warden.enforcement import open_gateway


class CliContext:
    def __init__(self, config_file: Path | None) -> None:
        self.config_file = config_file
        self._settings: Settings | None = None
        self._core: Core | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.config_file)
        return self._settings

    @property
    def core(self) -> Core:
        if self._core is None:
            self._core = open_gateway(self.settings)
        return self._core

    @property
    def actor(self) -> Actor:
        """The CLI acts as the operating-system user until the users issue adds logins."""
        import getpass

        return Actor(name=getpass.getuser()[:64], origin=Origin.CLI)

    def close(self) -> None:
        if self._core is not None:
            self._core.close()


pass_ctx = click.make_pass_decorator(CliContext)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
