"""The fleet list read straight from a SQLite file with the standard library's ``sqlite3``.

Why: ``warden devices list --json`` is what scripts call in a loop, and importing
SQLAlchemy's ORM and SQLModel alone costs several times the whole read. This module imports
neither: it answers the same query as ``core.services.devices.list_devices`` (same filters,
same order, same limit) in the same shape as ``DevicePublic.model_dump()``, with
``as_json`` giving exactly ``model_dump(mode="json")`` (a test holds both paths equal).

It answers only when the answer is plain: a ``sqlite:///`` file that exists and is at the
newest migration. Anything else — PostgreSQL, a missing, older, newer or unreadable
database — returns ``None`` and the caller takes the full path (``list_devices`` on an
opened ``Core``), which migrates, recovers or refuses in words a person can act on.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from core.schema_revisions import head_from_files

FLEET_LIMIT = 10_000
"""Devices listed when no limit is given: the whole fleet of any gateway Warden is for."""

DEVICE_STATUSES = ("online", "offline", "unknown")
"""``DeviceStatus``'s values, for a front end that must not import the models to offer them."""

FIELDS = (
    "send_interval_s",
    "hello_interval_s",
    "uptime_s",
    "buf_usage_pct",
    "broker_connections",
    "temp_internal",
    "attributes",
    "settings",
    "name",
    "type",
    "tags",
    "location",
    "firmware",
    "ip",
    "mac",
    "id",
    "status",
    "last_seen",
    "enabled",
    "created_at",
    "updated_at",
)
"""``DevicePublic``'s fields in its order (a test keeps them equal), so the JSON is the same."""
_JSON_FIELDS = frozenset({"attributes", "settings", "tags"})
_TIME_FIELDS = frozenset({"last_seen", "created_at", "updated_at"})
_SQLITE_PREFIX = "sqlite:///"
_ESCAPE = "/"


@dataclass(frozen=True)
class FleetQuery:
    """The criteria of ``DeviceFilter``; every given one must hold."""

    status: str | None = None
    type: str | None = None
    tag: str | None = None
    location: str | None = None
    enabled: bool | None = None
    text: str | None = None


def sqlite_file(database_url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL; None for anything else (PostgreSQL, an
    in-memory database, a driver or query options), which the full path handles."""
    if not database_url.startswith(_SQLITE_PREFIX) or "?" in database_url:
        return None
    path = database_url[len(_SQLITE_PREFIX) :]
    return Path(path) if path and path != ":memory:" else None


def read_fleet(database_url: str, query: FleetQuery) -> list[dict[str, Any]] | None:
    """The devices matching ``query``, ordered by id, as ``DevicePublic.model_dump()``
    dictionaries; None when this database needs the full path (see the module's text)."""
    path = sqlite_file(database_url)
    head = head_from_files()
    if path is None or head is None or not path.is_file():
        return None
    try:
        # mode=rw: never creates the file (a missing one is the full path's to make).
        connection = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error:
        return None
    try:
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        if revision != [(head,)]:
            return None
        sql, params = _select(query)
        rows = connection.execute(sql, params).fetchall()
    except sqlite3.Error:  # no schema, or a file SQLite cannot read: the full path recovers
        return None
    finally:
        connection.close()
    return [_device(row) for row in rows]


def _select(query: FleetQuery) -> tuple[str, list[Any]]:
    """The SQL ``list_devices`` has SQLAlchemy write on SQLite, by hand."""
    where: list[str] = []
    params: list[Any] = []
    if query.status is not None:
        where.append("status = ?")
        params.append(query.status)
    if query.type:
        where.append("(type = ? OR type LIKE ? || '%' ESCAPE '/')")
        params += [query.type, _escape_like(f"{query.type}_")]
    if query.tag:
        where.append("EXISTS (SELECT value FROM json_each(device.tags) WHERE value = ?)")
        params.append(query.tag)
    if query.location:
        where.append("location = ?")
        params.append(query.location)
    if query.enabled is not None:
        where.append("enabled = ?")
        params.append(1 if query.enabled else 0)
    if query.text:
        words = _escape_like(query.text)  # typed by a person: % and _ are literal
        where.append(
            "("
            + " OR ".join(
                f"lower({c}) LIKE '%' || lower(?) || '%' ESCAPE '/'" for c in ("id", "name", "ip")
            )
            + ")"
        )
        params += [words, words, words]
    sql = f"SELECT {', '.join(FIELDS)} FROM device"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return f"{sql} ORDER BY id LIMIT ?", [*params, FLEET_LIMIT]


def _escape_like(text: str) -> str:
    """As SQLAlchemy's ``autoescape``: the escape character, ``%`` and ``_`` taken literally."""
    for special in (_ESCAPE, "%", "_"):
        text = text.replace(special, _ESCAPE + special)
    return text


def _device(row: tuple[Any, ...]) -> dict[str, Any]:
    device = dict(zip(FIELDS, row, strict=True))
    for name in _JSON_FIELDS:
        device[name] = json.loads(device[name])
    for name in _TIME_FIELDS:
        if device[name] is not None:  # stored as naive UTC, as UTCDateTime reads it back
            device[name] = datetime.fromisoformat(device[name]).replace(tzinfo=UTC)
    device["enabled"] = bool(device["enabled"])
    return device


def as_json(device: dict[str, Any]) -> dict[str, Any]:
    """``device`` (from ``read_fleet`` or ``DevicePublic.model_dump()``) as pydantic's
    ``model_dump(mode="json")`` writes it: UTC times with ``Z``, enums as their values."""
    return {name: _jsonable(value) for name, value in device.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, Enum):
        return value.value
    return value
