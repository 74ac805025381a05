"""clerk roster

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 08:14:08.825944
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clerk",
        sa.Column("id", sa.String(length=11), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("pin", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disabled_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("clerk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clerk_unit"), ["unit"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("clerk", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clerk_unit"))

    op.drop_table("clerk")
