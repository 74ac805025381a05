"""ID reference generations: the rotation state, and the generation of an erasure receipt

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-28 17:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "id_reference_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("rotating_to", sa.Integer(), nullable=True),
        sa.Column("done", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("erasure_receipt", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ref_generation", sa.Integer(), server_default="1", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("erasure_receipt", schema=None) as batch_op:
        batch_op.drop_column("ref_generation")
    op.drop_table("id_reference_generation")
