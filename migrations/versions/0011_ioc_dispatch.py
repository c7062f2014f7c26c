"""Field dispatch: field staff positions and availability, dispatch offers and progress notes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "field_staff_status",
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column(
            "position",
            geoalchemy2.types.Geometry(
                geometry_type="POINT",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("position_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(position IS NULL) = (position_at IS NULL)", name=op.f("ck_field_staff_status_position_has_time")
        ),
        sa.CheckConstraint(
            "accuracy_m IS NULL OR accuracy_m BETWEEN 0 AND 5000",
            name=op.f("ck_field_staff_status_accuracy_in_range"),
        ),
        sa.CheckConstraint(
            "on_duty OR position IS NULL", name=op.f("ck_field_staff_status_position_only_on_duty")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_field_staff_status_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_field_staff_status")),
    )
    op.create_index(
        "ix_field_staff_status_position",
        "field_staff_status",
        ["position"],
        unique=False,
        postgresql_using="gist",
    )
    op.create_table(
        "dispatch_progress",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("alarm_id", sa.UUID(), nullable=False),
        sa.Column("author_id", sa.UUID(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "kind IN ('progress', 'resolution')", name=op.f("ck_dispatch_progress_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarms.id"], name=op.f("fk_dispatch_progress_alarm_id_alarms"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_dispatch_progress_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_progress")),
    )
    op.create_index(
        "ix_dispatch_progress_alarm", "dispatch_progress", ["alarm_id", "created_at", "id"], unique=False
    )
    op.create_table(
        "dispatches",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("alarm_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ring", sa.Integer(), nullable=False),
        sa.Column("ring_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.UUID(), nullable=True),
        sa.CheckConstraint(
            "(status = 'open') = (closed_at IS NULL)", name=op.f("ck_dispatches_closed_at_matches_status")
        ),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'escalated', 'cancelled')",
            name=op.f("ck_dispatches_status_known"),
        ),
        sa.CheckConstraint("ring >= 0", name=op.f("ck_dispatches_ring_not_negative")),
        sa.ForeignKeyConstraint(
            ["accepted_by"], ["users.id"], name=op.f("fk_dispatches_accepted_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarms.id"], name=op.f("fk_dispatches_alarm_id_alarms"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatches")),
    )
    op.create_index(
        "ix_dispatches_accepted_by",
        "dispatches",
        ["accepted_by"],
        unique=False,
        postgresql_where=sa.text("status = 'accepted'"),
    )
    op.create_index("ix_dispatches_alarm", "dispatches", ["alarm_id", "opened_at"], unique=False)
    op.create_index(
        "uq_dispatches_open_alarm",
        "dispatches",
        ["alarm_id"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "dispatch_offers",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("dispatch_id", sa.UUID(), nullable=False),
        sa.Column("alarm_id", sa.UUID(), nullable=False),
        sa.Column("staff_id", sa.UUID(), nullable=False),
        sa.Column("ring", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "answer IN ('accepted', 'declined', 'expired', 'withdrawn')",
            name=op.f("ck_dispatch_offers_answer_known"),
        ),
        sa.CheckConstraint(
            "(answer IS NULL) = (answered_at IS NULL)",
            name=op.f("ck_dispatch_offers_answered_at_matches_answer"),
        ),
        sa.CheckConstraint("distance_m >= 0", name=op.f("ck_dispatch_offers_distance_not_negative")),
        sa.CheckConstraint("ring >= 1", name=op.f("ck_dispatch_offers_ring_positive")),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarms.id"], name=op.f("fk_dispatch_offers_alarm_id_alarms"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatches.id"],
            name=op.f("fk_dispatch_offers_dispatch_id_dispatches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["users.id"], name=op.f("fk_dispatch_offers_staff_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_offers")),
    )
    op.create_index(
        "ix_dispatch_offers_alarm_staff", "dispatch_offers", ["alarm_id", "staff_id"], unique=False
    )
    op.create_index(
        "ix_dispatch_offers_staff_open",
        "dispatch_offers",
        ["staff_id"],
        unique=False,
        postgresql_where=sa.text("answer IS NULL"),
    )
    op.create_index("uq_dispatch_offers_staff", "dispatch_offers", ["dispatch_id", "staff_id"], unique=True)
    op.create_table(
        "dispatch_photos",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("progress_id", sa.UUID(), nullable=True),
        sa.Column("uploader_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("media_key", sa.String(length=128), nullable=False),
        sa.Column("thumbnail_key", sa.String(length=128), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("byte_size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("position >= 0", name=op.f("ck_dispatch_photos_position_not_negative")),
        sa.ForeignKeyConstraint(
            ["progress_id"],
            ["dispatch_progress.id"],
            name=op.f("fk_dispatch_photos_progress_id_dispatch_progress"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploader_id"],
            ["users.id"],
            name=op.f("fk_dispatch_photos_uploader_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_photos")),
    )
    op.create_index(
        "ix_dispatch_photos_progress", "dispatch_photos", ["progress_id", "position"], unique=False
    )
    op.create_index(op.f("ix_dispatch_photos_uploader_id"), "dispatch_photos", ["uploader_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_dispatch_photos_uploader_id"), table_name="dispatch_photos")
    op.drop_index("ix_dispatch_photos_progress", table_name="dispatch_photos")
    op.drop_table("dispatch_photos")
    op.drop_index("uq_dispatch_offers_staff", table_name="dispatch_offers")
    op.drop_index(
        "ix_dispatch_offers_staff_open",
        table_name="dispatch_offers",
        postgresql_where=sa.text("answer IS NULL"),
    )
    op.drop_index("ix_dispatch_offers_alarm_staff", table_name="dispatch_offers")
    op.drop_table("dispatch_offers")
    op.drop_index(
        "uq_dispatches_open_alarm", table_name="dispatches", postgresql_where=sa.text("status = 'open'")
    )
    op.drop_index("ix_dispatches_alarm", table_name="dispatches")
    op.drop_index(
        "ix_dispatches_accepted_by", table_name="dispatches", postgresql_where=sa.text("status = 'accepted'")
    )
    op.drop_table("dispatches")
    op.drop_index("ix_dispatch_progress_alarm", table_name="dispatch_progress")
    op.drop_table("dispatch_progress")
    op.drop_index("ix_field_staff_status_position", table_name="field_staff_status", postgresql_using="gist")
    op.drop_table("field_staff_status")
