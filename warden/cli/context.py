"""What every command shares: the settings and, opened only when a command needs it, the
``Core`` (database, clock, kernel features)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from core.plain_settings import plain_data_dir, plain_database_url
from core.private_files import SECRETS_LEFT_AS_FOUND, make_private_dir

if TYPE_CHECKING:  # the database, the models and the kernel load only when a command needs them
    from core.config import Settings
    from core.models import Actor
    from core.runtime import Core


class CliContext:
    def __init__(self, config_file: Path | None) -> None:
        self.config_file = config_file
        self._settings: Settings | None = None
        self._core: Core | None = None
        self._read_core: Core | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            from core.config import load_settings

            self._settings = load_settings(self.config_file)
        return self._settings

    @property
    def database_url(self) -> str:
        """The database URL in force; without loading the settings (pydantic) when the
        environment makes it plain (``core.plain_settings``)."""
        if self._settings is None:
            plain = plain_database_url(os.environ, self.config_file)
            data_dir = plain_data_dir(os.environ, self.config_file)
            if plain is not None and data_dir is not None:
                # What ``open_core`` promises every command: the data dir and its files
                # private (0700/0600), also when a read takes this path past it.
                make_private_dir(data_dir, leave=SECRETS_LEFT_AS_FOUND)
                return plain
        return self.settings.resolved_database_url

    @property
    def core(self) -> Core:
        if self._core is None:
            from warden.enforcement import open_gateway

            self._core = open_gateway(self.settings)
        return self._core

    @property
    def read_core(self) -> Core:
        """The ``Core`` for a command that only reads: when the schema is current, the
        database is opened as it is — no migration, no recovery, no kernel probe, so neither
        alembic nor the enforcement backends load. Otherwise the full ``core`` (which
        upgrades an older schema and says plainly when the database is newer than Warden)."""
        if self._core is not None:
            return self._core
        if self._read_core is None:
            from core.runtime import open_core

            opened = open_core(self.settings, migrate=False)
            if not opened.db.schema_is_current():
                opened.close()
                return self.core
            self._read_core = opened
        return self._read_core

    @property
    def actor(self) -> Actor:
        """The CLI acts as the operating-system user until the users issue adds logins."""
        import getpass

        from core.models import Actor, Origin

        return Actor(name=getpass.getuser()[:64], origin=Origin.CLI)

    def close(self) -> None:
        for opened in (self._core, self._read_core):
            if opened is not None:
                opened.close()


pass_ctx = click.make_pass_decorator(CliContext)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
