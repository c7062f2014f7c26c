"""Departments and report categories.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("province_code", sa.String(length=5), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("code ~ '^[A-Z][A-Z0-9_]{1,15}$'", name=op.f("ck_departments_code_format")),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["admin_units.code"],
            name=op.f("fk_departments_province_code_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departments")),
    )
    op.create_index(op.f("ix_departments_province_code"), "departments", ["province_code"])

    op.create_table(
        "feedback_categories",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name_vi", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("description_vi", sa.Text(), server_default="", nullable=False),
        sa.Column("description_en", sa.Text(), server_default="", nullable=False),
        sa.Column("group", sa.String(length=64), nullable=False),
        sa.Column(
            "keywords", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'::text[]"), nullable=False
        ),
        sa.Column("default_department_code", sa.String(length=16), nullable=False),
        sa.Column("sla_acknowledge_working_hours", sa.Integer(), server_default="8", nullable=False),
        sa.Column("sla_resolve_working_days", sa.Integer(), nullable=False),
        sa.Column("duplicate_radius_m", sa.Integer(), nullable=False),
        sa.Column("duplicate_window_days", sa.Integer(), nullable=False),
        sa.Column(
            "questions",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("sort_order", sa.Integer(), server_default="0", nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "code ~ '^[a-z][a-z0-9_]{1,63}$'", name=op.f("ck_feedback_categories_code_format")
        ),
        sa.CheckConstraint(
            "sla_acknowledge_working_hours > 0", name=op.f("ck_feedback_categories_sla_acknowledge_positive")
        ),
        sa.CheckConstraint(
            "sla_resolve_working_days > 0", name=op.f("ck_feedback_categories_sla_resolve_positive")
        ),
        sa.CheckConstraint(
            "duplicate_radius_m > 0", name=op.f("ck_feedback_categories_duplicate_radius_positive")
        ),
        sa.CheckConstraint(
            "duplicate_window_days > 0", name=op.f("ck_feedback_categories_duplicate_window_positive")
        ),
        sa.CheckConstraint(
            "jsonb_typeof(questions) = 'array'", name=op.f("ck_feedback_categories_questions_is_array")
        ),
        sa.ForeignKeyConstraint(
            ["default_department_code"],
            ["departments.code"],
            name=op.f("fk_feedback_categories_default_department_code_departments"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_feedback_categories")),
    )
    op.create_index(
        op.f("ix_feedback_categories_default_department_code"),
        "feedback_categories",
        ["default_department_code"],
    )


def downgrade() -> None:
    op.drop_table("feedback_categories")
    op.drop_table("departments")
