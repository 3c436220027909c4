"""Alembic environment. Warden runs migrations itself (``Database.migrate``) and passes its
own connection, so the SQLite pragmas and ``BEGIN IMMEDIATE`` apply to migrations too."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import core.models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:  # the plain `alembic` command, for developers writing a migration
    url = context.config.get_main_option("sqlalchemy.url")
    with create_engine(url).connect() as own:
        _run(own)
        own.commit()
