"""case steps and materials received

Two facts the county's indicators measure (hub.indicators): how many materials the applicant
handed in at the window, and how many steps of the procedure a case went through. Records
projected before this revision lack them, so every case is queued for projection again: the
projector in `hub serve` recomputes them from their events and actions (as `hub cases
rebuild` would), and until then the indicators leave them out of the reductions.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 10:57:28.527926
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("materials_received", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("steps_taken", sa.Integer(), nullable=True))
        batch_op.create_index("case_record_opened", ["opened_at"], unique=False)
    op.execute(
        "INSERT INTO case_pending (case_id, gen) SELECT case_id, 0 FROM case_record"
        " WHERE case_id NOT IN (SELECT case_id FROM case_pending)"
    )


def downgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_index("case_record_opened")
        batch_op.drop_column("steps_taken")
        batch_op.drop_column("materials_received")
