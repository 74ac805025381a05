"""shorter ID masks

Stored masks show the first and the last character of an ID number only (issue 17; before,
the first 4 and the last 4). The case record is a projection, so every case is queued for
projection again: the projector in `hub serve` folds each from its events, reducing whatever
mask a unit sent (protocol.identity.remask), and the notices read the record. The events
themselves are left as the units sent them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 14:20:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO case_pending (case_id, gen) SELECT case_id, 0 FROM case_record"
        " WHERE case_id NOT IN (SELECT case_id FROM case_pending)"
    )


def downgrade() -> None:
    """Nothing to undo: the records are a projection and keep the shorter masks."""
