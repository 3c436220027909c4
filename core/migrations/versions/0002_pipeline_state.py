"""Pipeline state: sequence tracking per device, the command queue, device facts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "command",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("cmd", sa.String(length=32), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("timeout_s", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ota_state", sa.String(length=16), nullable=True),
        sa.Column("ota_progress_pct", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("command", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_command_device_id"), ["device_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_command_state"), ["state"], unique=False)

    op.create_table(
        "device_seq",
        sa.Column("device_id", sa.String(length=64), nullable=False),
        sa.Column("boot", sa.Integer(), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=True),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("gaps", sa.Integer(), nullable=False),
        sa.Column("missing", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["device_id"], ["device.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("device_id"),
    )
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.add_column(sa.Column("send_interval_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("hello_interval_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("uptime_s", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("buf_usage_pct", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("broker_connections", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("temp_internal", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("attributes", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("device", schema=None) as batch_op:
        batch_op.drop_column("attributes")
        batch_op.drop_column("temp_internal")
        batch_op.drop_column("broker_connections")
        batch_op.drop_column("buf_usage_pct")
        batch_op.drop_column("uptime_s")
        batch_op.drop_column("hello_interval_s")
        batch_op.drop_column("send_interval_s")

    op.drop_table("device_seq")
    with op.batch_alter_table("command", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_command_state"))
        batch_op.drop_index(batch_op.f("ix_command_device_id"))
    op.drop_table("command")
