"""people sign in: passwords, areas, sessions, lock-out

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 10:57:14.244097
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
# hub.migrations.safety: the UPDATE below fills only the columns this revision adds, which the
# release before it never reads, so a starting hub may run it beside older processes
SAFE_AT_START = "the UPDATE only fills area_town, which this revision adds"


def upgrade() -> None:
    op.create_table(
        "login_guard",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "web_session",
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id_hash"),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_account"), ["account"], unique=False)

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_hash", sa.String(length=256), nullable=True))
        batch_op.add_column(
            sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("password_known", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("area_town", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("area_village", sa.String(length=64), nullable=True))
    # a town's back office sees its own town: its area is its scope's town
    op.execute(
        "UPDATE account SET area_town = (SELECT s.town FROM account_scope s "
        "WHERE s.name = account.name) "
        "WHERE EXISTS (SELECT 1 FROM account_scope s WHERE s.name = account.name "
        "AND s.town IS NOT NULL)"
    )


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("area_village")
        batch_op.drop_column("area_town")
        batch_op.drop_column("password_known")
        batch_op.drop_column("password_changed_at")
        batch_op.drop_column("password_hash")

    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_session_account"))

    op.drop_table("web_session")
    op.drop_table("login_guard")
