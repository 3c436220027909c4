"""The migrations build exactly the schema the models describe, on both backends, and a
gateway that starts twice does not migrate twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

import core.models
from core.config import load_settings
from core.db import Database, head_revision
from core.services import devices

core.models.register_all()  # every table on SQLModel.metadata (the package loads lazily)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[Database]:
    """A database with nothing in it, of each backend in turn."""
    if request.param == "postgresql":
        settings = load_settings(data_dir=data_dir, database_url=request.getfixturevalue("pg_url"))
    else:
        settings = load_settings(data_dir=data_dir)
    db = Database(settings.resolved_database_url)
    try:
        yield db
    finally:
        db.dispose()


def test_empty_database_upgrades_to_head_and_matches_the_models(empty_db: Database) -> None:
    assert empty_db.revision() is None

    empty_db.migrate()

    assert empty_db.revision() == head_revision()
    assert head_revision() is not None
    with empty_db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_migrating_twice_is_harmless(empty_db: Database) -> None:
    empty_db.migrate()
    with empty_db.writer() as session:
        devices.record_seen(
            session=session, device_id="meter-1", seen_at=datetime(2026, 1, 1, tzinfo=UTC)
        )

    empty_db.migrate()

    assert empty_db.revision() == head_revision()
    with empty_db.reader() as session:
        assert devices.get_device(session=session, ref="meter-1").id == "meter-1"


def test_every_table_exists_after_migration(empty_db: Database) -> None:
    empty_db.migrate()

    tables = set(inspect(empty_db.engine).get_table_names())

    assert set(SQLModel.metadata.tables) <= tables


def test_sqlite_readings_are_clustered_without_rowid(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'warden.db'}")
    try:
        db.migrate()
        with db.engine.connect() as connection:
            sql = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'reading'")
            ).scalar_one()
    finally:
        db.dispose()

    assert "WITHOUT ROWID" in sql.upper()
    assert "PRIMARY KEY (series_id, ts)" in sql
