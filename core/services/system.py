"""The gateway itself: the settings in force with every secret masked (the admin page),
and facts about the build and the database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from core.config import SECRET_MASK, Settings, effective_settings
from core.models import Actor
from core.permissions import Permission, authorize

PACKAGE = "edgewarden"
_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]+@", re.IGNORECASE
)
_SECRET_NAMES = ("secret", "password", "token", "api_key")


def mask_credentials(text: str) -> str:
    """``scheme://user:password@host`` → ``scheme://user:********@host``, anywhere in
    ``text`` (a list of broker URLs too)."""
    return _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:{SECRET_MASK}@", text)


def masked_settings(*, settings: Settings, actor: Actor) -> dict[str, str]:
    """The settings in force as display strings (``warden config show``): secrets masked,
    passwords in URLs masked, and anything named like a secret masked whatever its type."""
    authorize(actor, Permission.SETTINGS_READ)
    shown: dict[str, str] = {}
    for name, value in effective_settings(settings).items():
        if value is None:
            text = ""
        elif any(word in name for word in _SECRET_NAMES) and value not in ("", SECRET_MASK):
            text = SECRET_MASK
        else:
            text = mask_credentials(_text(value))
        shown[name] = text
    return shown


def _text(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class SystemInfo:
    version: str
    database: str
    """The database URL without user or password."""
    backend: str
    size_bytes: int | None
    """On disk (the SQLite file and its WAL); None for a server database."""


def system_info(*, settings: Settings, actor: Actor) -> SystemInfo:
    authorize(actor, Permission.SETTINGS_READ)
    url = make_url(settings.resolved_database_url)
    size = None
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        files = [path, path.with_name(path.name + "-wal")]
        size = sum(f.stat().st_size for f in files if f.exists()) if path.exists() else None
    return SystemInfo(
        version=warden_version(),
        database=URL.create(
            url.drivername, host=url.host, port=url.port, database=url.database, query=url.query
        ).render_as_string(hide_password=True),
        backend=url.get_backend_name(),
        size_bytes=size,
    )


def warden_version() -> str:
    try:
        return version(PACKAGE)
    except PackageNotFoundError:
        return "unknown (not installed as a package)"
