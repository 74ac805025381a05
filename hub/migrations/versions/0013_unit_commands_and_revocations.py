"""unit commands and revocations

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 14:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_command",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.String(length=2000), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("unit_command", schema=None) as batch_op:
        batch_op.create_index("unit_command_due", ["state", "next_at"], unique=False)
        batch_op.create_index("unit_command_unit", ["unit", "issued_at"], unique=False)
    op.create_table(
        "unit_revocation",
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("unit"),
    )


def downgrade() -> None:
    op.drop_table("unit_revocation")
    with op.batch_alter_table("unit_command", schema=None) as batch_op:
        batch_op.drop_index("unit_command_unit")
        batch_op.drop_index("unit_command_due")
    op.drop_table("unit_command")
