"""the county's case record

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 07:57:03.025869
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_action",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_action", schema=None) as batch_op:
        batch_op.create_index("case_action_case", ["case_id", "at"], unique=False)

    op.create_table(
        "case_pending",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("gen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    op.create_table(
        "case_record",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=True),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("matter_code", sa.String(length=32), nullable=True),
        sa.Column("approval", sa.String(length=16), nullable=True),
        sa.Column("instant", sa.Boolean(), nullable=False),
        sa.Column("id_method", sa.String(length=16), nullable=True),
        sa.Column("applicant_ref", sa.String(length=32), nullable=True),
        sa.Column("id_masked", sa.String(length=32), nullable=True),
        sa.Column("clerk", sa.String(length=32), nullable=True),
        sa.Column("agent", sa.String(length=32), nullable=True),
        sa.Column("window_state", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("legal_due", sa.Date(), nullable=True),
        sa.Column("promised_due", sa.Date(), nullable=True),
        sa.Column("supply_by", sa.Date(), nullable=True),
        sa.Column("deficiency", sa.String(length=16), nullable=False),
        sa.Column("given", sa.JSON(), nullable=False),
        sa.Column("waived", sa.JSON(), nullable=False),
        sa.Column("owed", sa.JSON(), nullable=False),
        sa.Column("missing", sa.JSON(), nullable=False),
        sa.Column("supplied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forwarded_to", sa.String(length=16), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result", sa.String(length=500), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_label", sa.String(length=16), nullable=True),
        sa.Column("rating_reason", sa.String(length=200), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signature_sha256", sa.String(length=64), nullable=True),
        sa.Column("status_token_sha256", sa.String(length=64), nullable=True),
        sa.Column("times", sa.JSON(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("actions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
    )
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.create_index("case_record_applicant", ["applicant_ref"], unique=False)
        batch_op.create_index("case_record_status", ["status"], unique=False)
        batch_op.create_index("case_record_token", ["status_token_sha256"], unique=False)
        batch_op.create_index("case_record_unit_opened", ["unit", "opened_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("case_record", schema=None) as batch_op:
        batch_op.drop_index("case_record_unit_opened")
        batch_op.drop_index("case_record_token")
        batch_op.drop_index("case_record_status")
        batch_op.drop_index("case_record_applicant")

    op.drop_table("case_record")
    op.drop_table("case_pending")
    with op.batch_alter_table("case_action", schema=None) as batch_op:
        batch_op.drop_index("case_action_case")

    op.drop_table("case_action")
