"""back office scopes and case notices

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 08:11:47.416463
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_scope",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("town", sa.String(length=64), nullable=True),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "notice_outbox",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("action_id"),
    )
    with op.batch_alter_table("notice_outbox", schema=None) as batch_op:
        batch_op.create_index("notice_outbox_case", ["case_id"], unique=False)
        batch_op.create_index("notice_outbox_due", ["status", "next_at"], unique=False)
        batch_op.create_index("notice_outbox_unit", ["unit", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notice_outbox", schema=None) as batch_op:
        batch_op.drop_index("notice_outbox_unit")
        batch_op.drop_index("notice_outbox_due")
        batch_op.drop_index("notice_outbox_case")

    op.drop_table("notice_outbox")
    op.drop_table("account_scope")
