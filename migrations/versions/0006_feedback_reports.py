"""Citizen reports: reports, photos, timeline, supports, followers, idempotency keys, the report number.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE feedback_report_number_seq")
    op.create_table(
        "feedback_reports",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "answers",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "location",
            Geometry("POINT", srid=4326, spatial_index=False),
            nullable=False,
        ),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("province_code", sa.String(length=5), nullable=False),
        sa.Column("ward_code", sa.String(length=5), nullable=True),
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.Column("department_code", sa.String(length=16), nullable=False),
        sa.Column("assignee_id", sa.UUID(), nullable=True),
        sa.Column("reporter_id", sa.UUID(), nullable=True),
        sa.Column("reporter_contact", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("api_key_id", sa.UUID(), nullable=True),
        sa.Column("source", sa.String(length=16), server_default="app", nullable=False),
        sa.Column("anonymous", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("is_public", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("urgent", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="submitted", nullable=False),
        sa.Column("status_notes", sa.Text(), nullable=True),
        sa.Column("sla_state", sa.String(length=16), server_default="on_track", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("acknowledge_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolve_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_extended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("close_reason", sa.String(length=16), nullable=True),
        sa.Column("reopen_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rating", sa.String(length=16), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("rated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("merged_into_id", sa.UUID(), nullable=True),
        sa.Column("support_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("follower_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("open311_token", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "close_reason IS NULL OR close_reason IN ('rated', 'auto_closed', 'officer', 'merged')",
            name=op.f("ck_feedback_reports_close_reason_known"),
        ),
        sa.CheckConstraint("code ~ '^PA-[0-9]{4}-[0-9]{6,}$'", name=op.f("ck_feedback_reports_code_format")),
        sa.CheckConstraint(
            "rating IS NULL OR rating IN ('very_satisfied', 'satisfied', 'not_satisfied')",
            name=op.f("ck_feedback_reports_rating_known"),
        ),
        sa.CheckConstraint(
            "sla_state IN ('on_track', 'due_soon', 'overdue')",
            name=op.f("ck_feedback_reports_sla_state_known"),
        ),
        sa.CheckConstraint("source IN ('app', 'open311')", name=op.f("ck_feedback_reports_source_known")),
        sa.CheckConstraint(
            "status IN ('submitted', 'accepted', 'rejected', 'assigned', 'in_progress', 'resolved', "
            "'closed')",
            name=op.f("ck_feedback_reports_status_known"),
        ),
        sa.CheckConstraint(
            "char_length(description) <= 2000", name=op.f("ck_feedback_reports_description_length")
        ),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id <> id",
            name=op.f("ck_feedback_reports_not_merged_into_itself"),
        ),
        sa.CheckConstraint(
            "support_count >= 0 AND follower_count >= 0", name=op.f("ck_feedback_reports_counts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_feedback_reports_api_key_id_api_keys"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["users.id"],
            name=op.f("fk_feedback_reports_assignee_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["feedback_categories.code"],
            name=op.f("fk_feedback_reports_category_code_feedback_categories"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_feedback_reports_department_code_departments"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["feedback_reports.id"],
            name=op.f("fk_feedback_reports_merged_into_id_feedback_reports"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["admin_units.code"],
            name=op.f("fk_feedback_reports_province_code_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_feedback_reports_reporter_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["admin_units.code"],
            name=op.f("fk_feedback_reports_unit_code_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["ward_code"],
            ["admin_units.code"],
            name=op.f("fk_feedback_reports_ward_code_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_reports")),
        sa.UniqueConstraint("code", name=op.f("uq_feedback_reports_code")),
        sa.UniqueConstraint("open311_token", name=op.f("uq_feedback_reports_open311_token")),
    )
    op.create_index(
        op.f("ix_feedback_reports_assignee_id"), "feedback_reports", ["assignee_id"], unique=False
    )
    op.create_index(
        "ix_feedback_reports_category_created",
        "feedback_reports",
        ["category_code", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_feedback_reports_merged_into_id"), "feedback_reports", ["merged_into_id"], unique=False
    )
    op.create_index(
        "ix_feedback_reports_open_due",
        "feedback_reports",
        ["resolve_due_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('accepted', 'assigned', 'in_progress', 'submitted')"),
    )
    op.create_index(
        "ix_feedback_reports_unacknowledged_due",
        "feedback_reports",
        ["acknowledge_due_at"],
        unique=False,
        postgresql_where=sa.text("status = 'submitted'"),
    )
    op.create_index(
        "ix_feedback_reports_open_location",
        "feedback_reports",
        ["location"],
        unique=False,
        postgresql_using="gist",
        postgresql_where=sa.text("status IN ('accepted', 'assigned', 'in_progress', 'submitted')"),
    )
    op.create_index(
        "ix_feedback_reports_public_created",
        "feedback_reports",
        ["created_at", "id"],
        unique=False,
        postgresql_where=sa.text("is_public AND merged_into_id IS NULL"),
    )
    op.create_index(
        "ix_feedback_reports_public_location",
        "feedback_reports",
        ["location"],
        unique=False,
        postgresql_using="gist",
        postgresql_where=sa.text("is_public AND merged_into_id IS NULL"),
    )
    op.create_index(
        "ix_feedback_reports_reporter_created",
        "feedback_reports",
        ["reporter_id", "created_at"],
        unique=False,
    )
    op.create_index(
        "ix_feedback_reports_unit_status_due",
        "feedback_reports",
        ["unit_code", "status", "resolve_due_at"],
        unique=False,
    )
    op.create_table(
        "feedback_followers",
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["feedback_reports.id"],
            name=op.f("fk_feedback_followers_report_id_feedback_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_feedback_followers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("report_id", "user_id", name=op.f("pk_feedback_followers")),
    )
    op.create_index(
        "ix_feedback_followers_user_id", "feedback_followers", ["user_id", "created_at"], unique=False
    )
    op.create_table(
        "feedback_idempotency_keys",
        sa.Column("owner", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["feedback_reports.id"],
            name=op.f("fk_feedback_idempotency_keys_report_id_feedback_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("owner", "key", name=op.f("pk_feedback_idempotency_keys")),
    )
    op.create_index(
        op.f("ix_feedback_idempotency_keys_created_at"),
        "feedback_idempotency_keys",
        ["created_at"],
        unique=False,
    )
    op.create_table(
        "feedback_photos",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("report_id", sa.UUID(), nullable=True),
        sa.Column("uploader_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=8), server_default="report", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("media_key", sa.String(length=128), nullable=False),
        sa.Column("thumbnail_key", sa.String(length=128), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("kind IN ('report', 'proof')", name=op.f("ck_feedback_photos_kind_known")),
        sa.CheckConstraint("position >= 0", name=op.f("ck_feedback_photos_position_not_negative")),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["feedback_reports.id"],
            name=op.f("fk_feedback_photos_report_id_feedback_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["users.id"],
            name=op.f("fk_feedback_photos_uploader_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_photos")),
    )
    op.create_index(
        "ix_feedback_photos_report_id", "feedback_photos", ["report_id", "kind", "position"], unique=False
    )
    op.create_index(op.f("ix_feedback_photos_uploader_id"), "feedback_photos", ["uploader_id"], unique=False)
    op.create_table(
        "feedback_supports",
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["feedback_reports.id"],
            name=op.f("fk_feedback_supports_report_id_feedback_reports"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_feedback_supports_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("report_id", "user_id", name=op.f("pk_feedback_supports")),
    )
    op.create_table(
        "feedback_timeline",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("report_id", sa.UUID(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=True),
        sa.Column("actor_id", sa.UUID(), nullable=True),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "kind IN ('submitted', 'accepted', 'rejected', 'assigned', 'started', 'resolved', 'closed', "
            "'reopened', 'reassigned', 'deadline_extended', 'merged', 'merged_from', 'rated', 'due_soon', "
            "'overdue')",
            name=op.f("ck_feedback_timeline_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_feedback_timeline_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["feedback_reports.id"],
            name=op.f("fk_feedback_timeline_report_id_feedback_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_timeline")),
    )
    op.create_index("ix_feedback_timeline_report_id", "feedback_timeline", ["report_id", "id"], unique=False)
    op.create_index("ix_feedback_timeline_at", "feedback_timeline", ["at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_feedback_timeline_at", table_name="feedback_timeline")
    op.drop_index("ix_feedback_timeline_report_id", table_name="feedback_timeline")
    op.drop_table("feedback_timeline")
    op.drop_table("feedback_supports")
    op.drop_index(op.f("ix_feedback_photos_uploader_id"), table_name="feedback_photos")
    op.drop_index("ix_feedback_photos_report_id", table_name="feedback_photos")
    op.drop_table("feedback_photos")
    op.drop_index(op.f("ix_feedback_idempotency_keys_created_at"), table_name="feedback_idempotency_keys")
    op.drop_table("feedback_idempotency_keys")
    op.drop_index("ix_feedback_followers_user_id", table_name="feedback_followers")
    op.drop_table("feedback_followers")
    op.drop_index("ix_feedback_reports_unit_status_due", table_name="feedback_reports")
    op.drop_index("ix_feedback_reports_reporter_created", table_name="feedback_reports")
    op.drop_index(
        "ix_feedback_reports_public_location",
        table_name="feedback_reports",
        postgresql_using="gist",
        postgresql_where=sa.text("is_public AND merged_into_id IS NULL"),
    )
    op.drop_index(
        "ix_feedback_reports_public_created",
        table_name="feedback_reports",
        postgresql_where=sa.text("is_public AND merged_into_id IS NULL"),
    )
    op.drop_index(
        "ix_feedback_reports_open_location",
        table_name="feedback_reports",
        postgresql_using="gist",
        postgresql_where=sa.text("status IN ('accepted', 'assigned', 'in_progress', 'submitted')"),
    )
    op.drop_index(
        "ix_feedback_reports_unacknowledged_due",
        table_name="feedback_reports",
        postgresql_where=sa.text("status = 'submitted'"),
    )
    op.drop_index(
        "ix_feedback_reports_open_due",
        table_name="feedback_reports",
        postgresql_where=sa.text("status IN ('accepted', 'assigned', 'in_progress', 'submitted')"),
    )
    op.drop_index(op.f("ix_feedback_reports_merged_into_id"), table_name="feedback_reports")
    op.drop_index("ix_feedback_reports_category_created", table_name="feedback_reports")
    op.drop_index(op.f("ix_feedback_reports_assignee_id"), table_name="feedback_reports")
    op.drop_table("feedback_reports")
    op.execute("DROP SEQUENCE feedback_report_number_seq")
