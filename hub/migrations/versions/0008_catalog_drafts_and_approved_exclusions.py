"""catalog drafts and approved exclusions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 11:20:11.204755
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogdraft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("base_version", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("published_version", sa.BigInteger(), nullable=True),
        sa.Column("rollout_id", sa.Integer(), nullable=True),
        sa.Column("rollout_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("catalogdraft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalogdraft_status"), ["status"], unique=False)

    with op.batch_alter_table("catalogrecord", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exclusions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("catalogrecord", schema=None) as batch_op:
        batch_op.drop_column("exclusions")

    with op.batch_alter_table("catalogdraft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalogdraft_status"))

    op.drop_table("catalogdraft")
