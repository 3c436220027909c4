"""Intents and the policies compiled from them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parsed", sa.JSON(), nullable=False),
        sa.Column("explanation", sa.String(length=500), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("replaces", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("intent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intent_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_intent_status"), ["status"], unique=False)

    op.create_table(
        "policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("intent_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("applied", sa.JSON(), nullable=True),
        sa.Column("satisfied", sa.String(length=500), nullable=False),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["intent_id"], ["intent.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_policy_intent_id"), ["intent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("policy", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_intent_id"))
        batch_op.drop_index(batch_op.f("ix_policy_device_id"))

    op.drop_table("policy")
    with op.batch_alter_table("intent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intent_status"))
        batch_op.drop_index(batch_op.f("ix_intent_kind"))

    op.drop_table("intent")
