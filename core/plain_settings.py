"""The database URL in force, known without building ``Settings`` when that is plain.

Why: ``Settings`` is a pydantic-settings model of every option, and importing pydantic and
pydantic-settings costs more than the rest of ``warden devices list --json``. When no
configuration file is given and the environment sets no ``WARDEN_*`` variable but the data
directory and the database URL, every other setting is its default, nothing can be invalid,
and the URL follows from those two alone. In any other case this returns None and the caller
loads the settings, which validate everything and say plainly what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

ENV_PREFIX = "WARDEN_"
CONFIG_ENV = "WARDEN_CONFIG"
DATA_DIR_ENV = "WARDEN_DATA_DIR"
DATABASE_URL_ENV = "WARDEN_DATABASE_URL"
DEFAULT_DATA_DIR = "data/var"
_NOT_SETTINGS = frozenset({"WARDEN_DEBUG"})
"""``WARDEN_*`` variables that are no setting (pydantic-settings ignores them)."""
# core.config's names and defaults; a test keeps them equal.


def plain_data_dir(environ: Mapping[str, str], config_file: Path | None) -> Path | None:
    """``Settings.data_dir`` when the settings are the defaults but for the data directory
    and the database URL; None when the full settings must decide."""
    if config_file is not None:
        return None
    for name in environ:
        upper = name.upper()
        if (
            upper.startswith(ENV_PREFIX)
            and upper not in _NOT_SETTINGS
            and (name not in (DATA_DIR_ENV, DATABASE_URL_ENV))
        ):
            return None  # a config file, another setting, or a lower-case spelling
    return Path(environ.get(DATA_DIR_ENV, DEFAULT_DATA_DIR))


def plain_database_url(environ: Mapping[str, str], config_file: Path | None) -> str | None:
    """``Settings.resolved_database_url`` when the settings are the defaults but for the data
    directory and the database URL; None when the full settings must decide."""
    data_dir = plain_data_dir(environ, config_file)
    if data_dir is None:
        return None
    database_url = environ.get(DATABASE_URL_ENV)
    if database_url:
        return database_url
    return f"sqlite:///{(data_dir / 'warden.db').resolve()}"
