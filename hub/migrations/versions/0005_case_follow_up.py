"""case follow-up: 容缺 proposals and blacklist delivery, rating follow-ups, feedback, rate limits

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 08:11:36
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blacklist_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dirty_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pending", sa.BigInteger(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiting_for", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "blacklist_proposal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("applicant_ref", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=True),
        sa.Column("matter_code", sa.String(length=32), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    with op.batch_alter_table("blacklist_proposal", schema=None) as batch_op:
        batch_op.create_index("blacklist_proposal_state", ["state", "proposed_at"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("case_ref", sa.String(length=64), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handled_by", sa.String(length=64), nullable=True),
        sa.Column("reply", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index("feedback_received", ["received_at"], unique=False)
        batch_op.create_index("feedback_unit", ["unit", "received_at"], unique=False)

    op.create_table(
        "rate_counter",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("started", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", "started"),
    )
    op.create_table(
        "rating_followup",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=500), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("case_id"),
    )
    with op.batch_alter_table("rating_followup", schema=None) as batch_op:
        batch_op.create_index("rating_followup_status_due", ["status", "due"], unique=False)

    op.create_table(
        "rating_followup_step",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("followup_id", sa.Uuid(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rating_followup_step", schema=None) as batch_op:
        batch_op.create_index("rating_followup_step_followup", ["followup_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rating_followup_step", schema=None) as batch_op:
        batch_op.drop_index("rating_followup_step_followup")

    op.drop_table("rating_followup_step")
    with op.batch_alter_table("rating_followup", schema=None) as batch_op:
        batch_op.drop_index("rating_followup_status_due")

    op.drop_table("rating_followup")
    op.drop_table("rate_counter")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index("feedback_unit")
        batch_op.drop_index("feedback_received")

    op.drop_table("feedback")
    with op.batch_alter_table("blacklist_proposal", schema=None) as batch_op:
        batch_op.drop_index("blacklist_proposal_state")

    op.drop_table("blacklist_proposal")
    op.drop_table("blacklist_delivery")
