"""late events on erasure receipts

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-28 17:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("erasure_receipt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late_events", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("erasure_receipt", schema=None) as batch_op:
        batch_op.drop_column("late_events")
