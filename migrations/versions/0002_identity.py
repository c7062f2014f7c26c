"""Accounts, sign-in codes, refresh tokens, API keys, SMS outbox.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", postgresql.UUID(as_uuid=True), server_default=sa.text("gen_random_uuid()"),
                  nullable=False),
        sa.Column("role", sa.Enum("citizen", "officer", "field_staff", "admin", name="user_role"),
                  nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("unit_code", sa.String(length=5), nullable=True),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role = 'citizen' OR username IS NOT NULL",
                           name=op.f("ck_users_staff_have_username")),
        sa.CheckConstraint("role NOT IN ('officer', 'field_staff') OR unit_code IS NOT NULL",
                           name=op.f("ck_users_field_roles_have_unit")),
        sa.CheckConstraint("role <> 'citizen' OR phone IS NOT NULL OR deleted_at IS NOT NULL",
                           name=op.f("ck_users_citizens_have_phone")),
        sa.ForeignKeyConstraint(["unit_code"], ["admin_units.code"],
                                name=op.f("fk_users_unit_code_admin_units"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("phone", name=op.f("uq_users_phone")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_index(op.f("ix_users_role"), "users", ["role"])
    op.create_index(op.f("ix_users_unit_code"), "users", ["unit_code"])


def downgrade() -> None:
    op.drop_table("users")
    op.execute("DROP TYPE IF EXISTS user_role")
