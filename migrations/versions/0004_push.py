"""Push device tokens and notifications.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Created explicitly, once each: push_language is used by two tables.
PLATFORM = postgresql.ENUM("android", "ios", "web", name="push_platform", create_type=False)
LANGUAGE = postgresql.ENUM("vi", "en", name="push_language", create_type=False)
TARGET = postgresql.ENUM("token", "topic", name="notification_target", create_type=False)
STATUS = postgresql.ENUM(
    "pending", "sent", "failed", "dropped", name="notification_status", create_type=False
)
ENUMS = (PLATFORM, LANGUAGE, TARGET, STATUS)


def upgrade() -> None:
    bind = op.get_bind()
    for enum in ENUMS:
        enum.create(bind, checkfirst=False)

    op.create_table(
        "device_tokens",
        sa.Column(
            "id", postgresql.UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("token", sa.String(length=4096), nullable=False),
        sa.Column("platform", PLATFORM, nullable=False),
        sa.Column("language", LANGUAGE, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column(
            "last_seen_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_device_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_tokens")),
        sa.UniqueConstraint("user_id", "device_id", name=op.f("uq_device_tokens_user_id_device_id")),
        sa.UniqueConstraint("token", name=op.f("uq_device_tokens_token")),
    )

    op.create_table(
        "notifications",
        sa.Column(
            "id", postgresql.UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("target_kind", TARGET, nullable=False),
        sa.Column("user_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("device_token_id", postgresql.UUID(as_uuid=True), nullable=True),
        sa.Column("topic", sa.String(length=900), nullable=True),
        sa.Column("language", LANGUAGE, nullable=True),
        sa.Column("title_vi", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("body_vi", sa.String(length=1000), nullable=False),
        sa.Column("body_en", sa.String(length=1000), nullable=False),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("high_priority", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("status", STATUS, server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(target_kind = 'token' AND user_id IS NOT NULL AND topic IS NULL) OR "
            "(target_kind = 'topic' AND user_id IS NULL AND device_token_id IS NULL "
            "AND topic IS NOT NULL AND language IS NOT NULL)",
            name=op.f("ck_notifications_target_matches_kind"),
        ),
        sa.CheckConstraint(
            "status <> 'sent' OR sent_at IS NOT NULL", name=op.f("ck_notifications_sent_has_sent_at")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_notifications_attempts_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["device_token_id"],
            ["device_tokens.id"],
            name=op.f("fk_notifications_device_token_id_device_tokens"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_status_next_attempt_at", "notifications", ["status", "next_attempt_at"])
    op.create_index(op.f("ix_notifications_user_id"), "notifications", ["user_id"])
    op.create_index(op.f("ix_notifications_device_token_id"), "notifications", ["device_token_id"])

    op.create_table(
        "push_outbox",
        sa.Column(
            "id", postgresql.UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"), nullable=False
        ),
        sa.Column("notification_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("token", sa.String(length=4096), nullable=True),
        sa.Column("topic", sa.String(length=900), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_push_outbox_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_outbox")),
    )
    op.create_index(op.f("ix_push_outbox_notification_id"), "push_outbox", ["notification_id"])


def downgrade() -> None:
    op.drop_table("push_outbox")
    op.drop_table("notifications")
    op.drop_table("device_tokens")
    bind = op.get_bind()
    for enum in reversed(ENUMS):
        enum.drop(bind, checkfirst=True)
