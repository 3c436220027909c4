"""Alembic environment. Warden runs migrations itself (``Database.migrate``) and passes its
own connection, so the SQLite pragmas and ``BEGIN IMMEDIATE`` apply to migrations too."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import core.models

core.models.register_all()  # every table on the metadata (the package loads lazily)
target_metadata = SQLModel.metadata


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write Warden's column types as plain SQLAlchemy ones, so migrations never import the
    models (which change) and stay runnable forever."""
    if type_ == "type":
        name = type(obj).__name__
        if name == "AutoString":
            length = getattr(obj, "length", None)
            return f"sa.String(length={length})" if length else "sa.String()"
        if name == "UTCDateTime":
            return "sa.DateTime(timezone=True)"
    return False


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
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
