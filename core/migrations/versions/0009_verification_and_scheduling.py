"""Verification of intents (verdicts, checks history) and device-config acks

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23 23:32:22.029965
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intent_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intent_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(["intent_id"], ["intent.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("intent_check", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intent_check_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_intent_check_intent_id"), ["intent_id"], unique=False)

    with op.batch_alter_table("intent", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verdict", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("verdict_reason", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("checks", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("checks_satisfied", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("violated_streak", sa.Integer(), nullable=False, server_default="0")
        )

    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.add_column(sa.Column("verdict", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("measured", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.drop_column("measured")
        batch_op.drop_column("verdict")

    with op.batch_alter_table("intent", schema=None) as batch_op:
        batch_op.drop_column("violated_streak")
        batch_op.drop_column("checks_satisfied")
        batch_op.drop_column("checks")
        batch_op.drop_column("checked_at")
        batch_op.drop_column("verdict_reason")
        batch_op.drop_column("verdict")

    with op.batch_alter_table("intent_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intent_check_intent_id"))
        batch_op.drop_index(batch_op.f("ix_intent_check_at"))

    op.drop_table("intent_check")
