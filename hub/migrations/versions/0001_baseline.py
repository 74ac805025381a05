"""baseline: the schema of the first release

Revision ID: 0001
Revises:
Create Date: 2026-11-28 07:56:58.092253
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_token_hash"), ["token_hash"], unique=True)

    op.create_table(
        "artifact",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("encoding", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "auditentry",
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=128), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("auditentry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auditentry_action"), ["action"], unique=False)

    op.create_table(
        "blacklistentry",
        sa.Column("applicant_ref", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("listed_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("applicant_ref"),
    )
    op.create_table(
        "catalogrecord",
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_table(
        "configblob",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("hash"),
    )
    op.create_table(
        "configversion",
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("envelope", sa.JSON(), nullable=False),
        sa.Column("rollout_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("unit", "version"),
    )
    op.create_table(
        "deadletter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("topic", sa.String(length=512), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("payload_sha256", sa.String(length=64), nullable=False),
        sa.Column("payload_prefix", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deadletter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deadletter_received_at"), ["received_at"], unique=False
        )

    op.create_table(
        "event",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("state", sa.String(length=64), nullable=True),
        sa.Column("matter_code", sa.String(length=32), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("clock_offset_s", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index("event_unit_seq", ["unit", "seq"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_case_id"), ["case_id"], unique=False)

    op.create_table(
        "registryrecord",
        sa.Column("applicant_ref", sa.String(length=32), nullable=False),
        sa.Column("material", sa.String(length=60), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("applicant_ref", "material"),
    )
    op.create_table(
        "rollout",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("failure_threshold", sa.Float(), nullable=False),
        sa.Column("timeout_s", sa.Float(), nullable=False),
        sa.Column("stages", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("accepted_stage", sa.Integer(), nullable=False),
        sa.Column("paused_reason", sa.String(length=500), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rollout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rollout_state"), ["state"], unique=False)

    op.create_table(
        "rolloutunit",
        sa.Column("rollout_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("body_hash", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("rollout_id", "unit"),
    )
    with op.batch_alter_table("rolloutunit", schema=None) as batch_op:
        batch_op.create_index("rolloutunit_rollout_state", ["rollout_id", "state"], unique=False)
        batch_op.create_index("rolloutunit_unit_version", ["unit", "version"], unique=False)

    op.create_table(
        "unit",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=True),
        sa.Column("division", sa.String(length=32), nullable=True),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=True),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("events", sa.BigInteger(), nullable=False),
        sa.Column("cases", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("health", sa.JSON(), nullable=True),
        sa.Column("health_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("config_version", sa.BigInteger(), nullable=True),
        sa.Column("clock_offset_s", sa.Float(), nullable=True),
        sa.Column("clock_drift", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.create_index(
            "unit_clock_drift",
            ["id"],
            unique=False,
            sqlite_where=sa.text("clock_drift"),
            postgresql_where=sa.text("clock_drift"),
        )

    op.create_table(
        "unitconfig",
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("desired_version", sa.BigInteger(), nullable=False),
        sa.Column("desired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("applied_version", sa.BigInteger(), nullable=False),
        sa.Column("report_version", sa.BigInteger(), nullable=True),
        sa.Column("report_status", sa.String(length=16), nullable=True),
        sa.Column("report_reason", sa.String(length=2000), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("anomaly_version", sa.BigInteger(), nullable=True),
        sa.Column("anomaly_source", sa.String(length=16), nullable=True),
        sa.Column("anomaly_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("unit"),
    )
    op.create_table(
        "unittoken",
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("unit"),
    )
    with op.batch_alter_table("unittoken", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_unittoken_token_hash"), ["token_hash"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("unittoken", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unittoken_token_hash"))

    op.drop_table("unittoken")
    op.drop_table("unitconfig")
    with op.batch_alter_table("unit", schema=None) as batch_op:
        batch_op.drop_index(
            "unit_clock_drift",
            sqlite_where=sa.text("clock_drift"),
            postgresql_where=sa.text("clock_drift"),
        )

    op.drop_table("unit")
    with op.batch_alter_table("rolloutunit", schema=None) as batch_op:
        batch_op.drop_index("rolloutunit_unit_version")
        batch_op.drop_index("rolloutunit_rollout_state")

    op.drop_table("rolloutunit")
    with op.batch_alter_table("rollout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rollout_state"))

    op.drop_table("rollout")
    op.drop_table("registryrecord")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_case_id"))
        batch_op.drop_index("event_unit_seq")

    op.drop_table("event")
    with op.batch_alter_table("deadletter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deadletter_received_at"))

    op.drop_table("deadletter")
    op.drop_table("configversion")
    op.drop_table("configblob")
    op.drop_table("catalogrecord")
    op.drop_table("blacklistentry")
    with op.batch_alter_table("auditentry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auditentry_action"))

    op.drop_table("auditentry")
    op.drop_table("artifact")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_token_hash"))

    op.drop_table("account")
