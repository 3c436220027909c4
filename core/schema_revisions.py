"""The migration revisions, read from the migration files' text.

Kept apart from ``core.db`` so that a read which opens SQLite with the standard library
(``core.services.fleet_read``) can tell a current schema without importing SQLAlchemy or
alembic, and both agree on what "current" means.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_REVISION = re.compile(r"^revision(?:: str)? = ['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision(?:: [^=]+)? = ['\"]([^'\"]+)['\"]", re.MULTILINE)


@cache
def revisions_from_files() -> frozenset[str] | None:
    """Every revision of the migration files, read from their text (no alembic import);
    None when a file does not say its revision plainly (then alembic decides)."""
    revisions = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = _REVISION.search(path.read_text())
        if found is None:
            return None
        revisions.add(found.group(1))
    return frozenset(revisions)


@cache
def head_from_files() -> str | None:
    """The one revision no migration builds on, read from the migration files' text (no
    alembic import); None when that is not plain (then alembic decides)."""
    revisions = revisions_from_files()
    if revisions is None:
        return None
    downs = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        downs.update(_DOWN.findall(path.read_text()))
    heads = revisions - downs
    return next(iter(heads)) if len(heads) == 1 else None
