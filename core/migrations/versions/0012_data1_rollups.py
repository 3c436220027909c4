"""Rollup tiers (1 minute, 1 hour), the minutes waiting to be rolled up and the pass's
watermark; a trigger marks the minute of every new reading

Readings already stored are marked too, so the first rollup pass after the upgrade rolls
up the whole history (in small batches).

Revision ID: 0012d
Revises: 0012m
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012d"
down_revision: str | None = "0012m"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SQLITE_TRIGGER = """
CREATE TRIGGER reading_rollup_pending AFTER INSERT ON reading
BEGIN
    INSERT OR IGNORE INTO rollup_pending (series_id, bucket)
    VALUES (NEW.series_id, NEW.ts - NEW.ts % 60000);
END
"""
_PG_FUNCTION = """
CREATE FUNCTION reading_rollup_pending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO rollup_pending (series_id, bucket)
    VALUES (NEW.series_id, NEW.ts - NEW.ts % 60000) ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$
"""
_PG_TRIGGER = (
    "CREATE TRIGGER reading_rollup_pending AFTER INSERT ON reading "
    "FOR EACH ROW EXECUTE FUNCTION reading_rollup_pending()"
)


def _rollup_table(name: str) -> None:
    op.create_table(
        name,
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("sum", sa.Float(), nullable=False),
        sa.Column("min", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.Column("first_ts", sa.BigInteger(), nullable=False),
        sa.Column("first", sa.Float(), nullable=False),
        sa.Column("last_ts", sa.BigInteger(), nullable=False),
        sa.Column("last", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("series_id", "bucket"),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    _rollup_table("rollup_minute")
    _rollup_table("rollup_hour")
    op.create_table(
        "rollup_pending",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("series_id", "bucket"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "rollup_state",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("watermark", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.execute(
        "INSERT INTO rollup_pending (series_id, bucket) "
        "SELECT DISTINCT series_id, ts - ts % 60000 FROM reading"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(_PG_TRIGGER)
    else:
        op.execute(_SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS reading_rollup_pending"
        + (" ON reading" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS reading_rollup_pending()")
    op.drop_table("rollup_state")
    op.drop_table("rollup_pending")
    op.drop_table("rollup_hour")
    op.drop_table("rollup_minute")
