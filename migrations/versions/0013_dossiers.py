"""Administrative dossiers: agencies and their keys, the procedure catalogue, dossiers, their steps,
apologies, followers and ratings; the national ID hash of a citizen account.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Trigram matching for the procedure search (a trusted extension: the database owner may create it).
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table(
        "dossier_procedures",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name_vi", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=True),
        sa.Column("field_vi", sa.String(length=300), nullable=False),
        sa.Column("field_en", sa.String(length=300), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("deadline_kind", sa.String(length=16), nullable=False),
        sa.Column("deadline_amount", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.Column("resume_after_request", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("fee_vnd", sa.BigInteger(), nullable=True),
        sa.Column("fee_note_vi", sa.Text(), nullable=True),
        sa.Column("fee_note_en", sa.Text(), nullable=True),
        sa.Column("online_level", sa.String(length=16), nullable=False),
        sa.Column(
            "documents",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'[]'::jsonb"),
            nullable=False,
        ),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("name_folded", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(deadline_kind = 'same_day') = (deadline_amount = 0) AND deadline_amount >= 0",
            name=op.f("ck_dossier_procedures_deadline_amount_fits_kind"),
        ),
        sa.CheckConstraint(
            "deadline_kind IN ('working_days', 'working_hours', 'calendar_days', 'same_day')",
            name=op.f("ck_dossier_procedures_deadline_kind_known"),
        ),
        sa.CheckConstraint(
            "level IN ('province', 'commune')", name=op.f("ck_dossier_procedures_level_known")
        ),
        sa.CheckConstraint(
            "online_level IN ('partial', 'full')", name=op.f("ck_dossier_procedures_online_level_known")
        ),
        sa.CheckConstraint(
            "fee_vnd IS NULL OR fee_vnd >= 0", name=op.f("ck_dossier_procedures_fee_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_procedures")),
        sa.UniqueConstraint("code", name=op.f("uq_dossier_procedures_code")),
    )
    op.create_index(
        "ix_dossier_procedures_search_text_trgm",
        "dossier_procedures",
        ["search_text"],
        unique=False,
        postgresql_using="gin",
        postgresql_ops={"search_text": "gin_trgm_ops"},
    )
    op.create_index(
        "ix_dossier_procedures_name_folded", "dossier_procedures", ["name_folded", "code"], unique=False
    )
    op.create_table(
        "dossier_agencies",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name_vi", sa.String(length=300), nullable=False),
        sa.Column("name_en", sa.String(length=300), nullable=True),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "code ~ '^[A-Z0-9]+(\\.[A-Z0-9]+)*$'", name=op.f("ck_dossier_agencies_code_format")
        ),
        sa.CheckConstraint("level IN ('province', 'commune')", name=op.f("ck_dossier_agencies_level_known")),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["admin_units.code"],
            name=op.f("fk_dossier_agencies_unit_code_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_agencies")),
        sa.UniqueConstraint("code", name=op.f("uq_dossier_agencies_code")),
    )
    op.create_index(op.f("ix_dossier_agencies_unit_code"), "dossier_agencies", ["unit_code"], unique=False)
    op.create_table(
        "dossiers",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("code", sa.String(length=47), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("procedure_id", sa.UUID(), nullable=False),
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("status_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applicant_name", sa.String(length=200), nullable=False),
        sa.Column("applicant_phone", sa.String(length=16), nullable=True),
        sa.Column("applicant_id_hash", sa.String(length=64), nullable=True),
        sa.Column("id_suffix_hash", sa.String(length=64), nullable=True),
        sa.Column("sms_opt_in", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("original_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remaining_seconds", sa.Integer(), nullable=True),
        sa.Column("document_requests", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("forced_late", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_action", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("fee_vnd", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "channel IN ('in_person', 'online', 'post')", name=op.f("ck_dossiers_channel_known")
        ),
        sa.CheckConstraint("document_requests >= 0", name=op.f("ck_dossiers_document_requests_not_negative")),
        sa.CheckConstraint("fee_vnd IS NULL OR fee_vnd >= 0", name=op.f("ck_dossiers_fee_not_negative")),
        sa.CheckConstraint("status BETWEEN 1 AND 10", name=op.f("ck_dossiers_status_known")),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["dossier_agencies.id"],
            name=op.f("fk_dossiers_agency_id_dossier_agencies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["procedure_id"],
            ["dossier_procedures.id"],
            name=op.f("fk_dossiers_procedure_id_dossier_procedures"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["admin_units.code"],
            name=op.f("fk_dossiers_unit_code_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossiers")),
        sa.UniqueConstraint("code", name=op.f("uq_dossiers_code")),
    )
    op.create_index("ix_dossiers_agency_received", "dossiers", ["agency_id", "received_at"], unique=False)
    op.create_index(
        "ix_dossiers_applicant_id_hash",
        "dossiers",
        ["applicant_id_hash"],
        unique=False,
        postgresql_where=sa.text("applicant_id_hash IS NOT NULL"),
    )
    op.create_index(
        "ix_dossiers_applicant_phone",
        "dossiers",
        ["applicant_phone"],
        unique=False,
        postgresql_where=sa.text("applicant_phone IS NOT NULL"),
    )
    op.create_index(
        "ix_dossiers_open_due",
        "dossiers",
        ["due_at"],
        unique=False,
        postgresql_where=sa.text("finished_at IS NULL"),
    )
    op.create_index(op.f("ix_dossiers_procedure_id"), "dossiers", ["procedure_id"], unique=False)
    op.create_index("ix_dossiers_unit_received", "dossiers", ["unit_code", "received_at"], unique=False)
    op.create_table(
        "dossier_agency_keys",
        sa.Column("api_key_id", sa.UUID(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["dossier_agencies.id"],
            name=op.f("fk_dossier_agency_keys_agency_id_dossier_agencies"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["api_key_id"],
            ["api_keys.id"],
            name=op.f("fk_dossier_agency_keys_api_key_id_api_keys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("api_key_id", name=op.f("pk_dossier_agency_keys")),
    )
    op.create_index(
        op.f("ix_dossier_agency_keys_agency_id"), "dossier_agency_keys", ["agency_id"], unique=False
    )
    op.create_table(
        "dossier_apologies",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("dossier_id", sa.UUID(), nullable=False),
        sa.Column("reason_vi", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=True),
        sa.Column("new_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=True),
        sa.Column("author_id", sa.UUID(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["dossier_agencies.id"],
            name=op.f("fk_dossier_apologies_agency_id_dossier_agencies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_dossier_apologies_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_apologies_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_apologies")),
        sa.UniqueConstraint("dossier_id", "issued_at", name="uq_dossier_apologies_issue"),
    )
    op.create_index(
        op.f("ix_dossier_apologies_dossier_id"), "dossier_apologies", ["dossier_id"], unique=False
    )
    op.create_table(
        "dossier_followers",
        sa.Column("dossier_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_followers_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_dossier_followers_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("dossier_id", "user_id", name=op.f("pk_dossier_followers")),
    )
    op.create_index(op.f("ix_dossier_followers_user_id"), "dossier_followers", ["user_id"], unique=False)
    op.create_table(
        "dossier_ratings",
        sa.Column("dossier_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.UUID(), nullable=True),
        sa.Column("rating", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "rating IN ('very_satisfied', 'satisfied', 'not_satisfied')",
            name=op.f("ck_dossier_ratings_rating_known"),
        ),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_ratings_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_dossier_ratings_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("dossier_id", name=op.f("pk_dossier_ratings")),
    )
    op.create_table(
        "dossier_steps",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("dossier_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("previous_status", sa.SmallInteger(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("unit_name", sa.String(length=300), nullable=False),
        sa.Column("officer_name", sa.String(length=200), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("public", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("status BETWEEN 1 AND 10", name=op.f("ck_dossier_steps_status_known")),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name=op.f("fk_dossier_steps_dossier_id_dossiers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_steps")),
        sa.UniqueConstraint("dossier_id", "at", "status", name="uq_dossier_steps_update"),
    )
    op.add_column("users", sa.Column("national_id_hash", sa.String(length=64), nullable=True))
    op.create_unique_constraint(op.f("uq_users_national_id_hash"), "users", ["national_id_hash"])


def downgrade() -> None:
    op.drop_constraint(op.f("uq_users_national_id_hash"), "users", type_="unique")
    op.drop_column("users", "national_id_hash")
    op.drop_table("dossier_steps")
    op.drop_table("dossier_ratings")
    op.drop_index(op.f("ix_dossier_followers_user_id"), table_name="dossier_followers")
    op.drop_table("dossier_followers")
    op.drop_index(op.f("ix_dossier_apologies_dossier_id"), table_name="dossier_apologies")
    op.drop_table("dossier_apologies")
    op.drop_index(op.f("ix_dossier_agency_keys_agency_id"), table_name="dossier_agency_keys")
    op.drop_table("dossier_agency_keys")
    op.drop_index("ix_dossiers_unit_received", table_name="dossiers")
    op.drop_index(op.f("ix_dossiers_procedure_id"), table_name="dossiers")
    op.drop_index(
        "ix_dossiers_open_due", table_name="dossiers", postgresql_where=sa.text("finished_at IS NULL")
    )
    op.drop_index(
        "ix_dossiers_applicant_phone",
        table_name="dossiers",
        postgresql_where=sa.text("applicant_phone IS NOT NULL"),
    )
    op.drop_index(
        "ix_dossiers_applicant_id_hash",
        table_name="dossiers",
        postgresql_where=sa.text("applicant_id_hash IS NOT NULL"),
    )
    op.drop_index("ix_dossiers_agency_received", table_name="dossiers")
    op.drop_table("dossiers")
    op.drop_index(op.f("ix_dossier_agencies_unit_code"), table_name="dossier_agencies")
    op.drop_table("dossier_agencies")
    op.drop_index("ix_dossier_procedures_name_folded", table_name="dossier_procedures")
    op.drop_index("ix_dossier_procedures_search_text_trgm", table_name="dossier_procedures")
    op.drop_table("dossier_procedures")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
