"""erasure receipts

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-28 15:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasure_receipt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ref_sha256", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("hub_counts", sa.JSON(), nullable=False),
        sa.Column("units_told", sa.JSON(), nullable=False),
        sa.Column("units_confirmed", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("erasure_receipt", schema=None) as batch_op:
        batch_op.create_index("ix_erasure_receipt_ref_sha256", ["ref_sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("erasure_receipt", schema=None) as batch_op:
        batch_op.drop_index("ix_erasure_receipt_ref_sha256")
    op.drop_table("erasure_receipt")
