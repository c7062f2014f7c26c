"""Public warnings (CAP): warnings, their areas and messages; wards of interest on push registrations.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _geometry(kind: str) -> geoalchemy2.types.Geometry:
    return geoalchemy2.types.Geometry(
        geometry_type=kind,
        srid=4326,
        dimension=2,
        spatial_index=False,
        from_text="ST_GeomFromEWKT",
        name="geometry",
    )


def _known(column: str, values: tuple[str, ...]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


def upgrade() -> None:
    op.execute("CREATE SEQUENCE warning_number_seq")
    op.add_column(
        "device_tokens",
        sa.Column(
            "wards",
            postgresql.ARRAY(sa.String(length=5)),
            server_default=sa.text("'{}'::varchar[]"),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_device_tokens_wards", "device_tokens", ["wards"], unique=False, postgresql_using="gin"
    )
    op.create_table(
        "warnings",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("message_count", sa.Integer(), nullable=False),
        sa.Column("province_code", sa.String(length=5), nullable=False),
        sa.Column("ward_codes", postgresql.ARRAY(sa.String(length=5)), nullable=False),
        sa.Column("area", _geometry("MULTIPOLYGON"), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("message_count >= 1", name=op.f("ck_warnings_message_count_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_warnings_created_by_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["admin_units.code"],
            name=op.f("fk_warnings_province_code_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warnings")),
    )
    op.create_index(
        "ix_warnings_current",
        "warnings",
        ["sent", "id"],
        unique=False,
        postgresql_where=sa.text("cancelled_at IS NULL"),
    )
    op.create_index(
        "ix_warnings_ward_codes", "warnings", ["ward_codes"], unique=False, postgresql_using="gin"
    )
    op.create_index("ix_warnings_area", "warnings", ["area"], unique=False, postgresql_using="gist")
    op.create_table(
        "warning_messages",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("warning_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=100), nullable=False),
        sa.Column("sender", sa.String(length=255), nullable=False),
        sa.Column("sent", sa.DateTime(timezone=True), nullable=False),
        sa.Column("msg_type", sa.String(length=8), nullable=False),
        sa.Column("cap_references", sa.Text(), nullable=True),
        sa.Column("author_id", sa.UUID(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("event_vi", sa.String(length=100), nullable=False),
        sa.Column("event_en", sa.String(length=100), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("certainty", sa.String(length=16), nullable=False),
        sa.Column("headline_vi", sa.String(length=160), nullable=False),
        sa.Column("headline_en", sa.String(length=160), nullable=False),
        sa.Column("description_vi", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("instruction_vi", sa.Text(), nullable=False),
        sa.Column("instruction_en", sa.Text(), nullable=False),
        sa.Column("onset", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires", sa.DateTime(timezone=True), nullable=False),
        sa.Column("area_desc_vi", sa.Text(), nullable=False),
        sa.Column("area_desc_en", sa.Text(), nullable=False),
        sa.Column("ward_codes", postgresql.ARRAY(sa.String(length=5)), nullable=False),
        sa.Column("affected_ward_codes", postgresql.ARRAY(sa.String(length=5)), nullable=False),
        sa.Column("polygon", _geometry("POLYGON"), nullable=True),
        sa.Column("alarm_id", sa.UUID(), nullable=True),
        sa.Column("incident_id", sa.UUID(), nullable=True),
        sa.Column("cap_xml", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(seq = 1) = (cap_references IS NULL)", name=op.f("ck_warning_messages_references_earlier")
        ),
        sa.CheckConstraint("(seq = 1) = (msg_type = 'Alert')", name=op.f("ck_warning_messages_alert_first")),
        sa.CheckConstraint(
            "cardinality(ward_codes) > 0 OR polygon IS NOT NULL", name=op.f("ck_warning_messages_has_area")
        ),
        sa.CheckConstraint(
            _known(
                "category",
                (
                    "Geo",
                    "Met",
                    "Safety",
                    "Security",
                    "Rescue",
                    "Fire",
                    "Health",
                    "Env",
                    "Transport",
                    "Infra",
                    "CBRNE",
                    "Other",
                ),
            ),
            name=op.f("ck_warning_messages_category_known"),
        ),
        sa.CheckConstraint(
            _known("certainty", ("Observed", "Likely", "Possible", "Unlikely", "Unknown")),
            name=op.f("ck_warning_messages_certainty_known"),
        ),
        sa.CheckConstraint("expires > onset", name=op.f("ck_warning_messages_expires_after_onset")),
        sa.CheckConstraint(
            _known("msg_type", ("Alert", "Update", "Cancel")), name=op.f("ck_warning_messages_msg_type_known")
        ),
        sa.CheckConstraint(
            _known("severity", ("Extreme", "Severe", "Moderate", "Minor", "Unknown")),
            name=op.f("ck_warning_messages_severity_known"),
        ),
        sa.CheckConstraint(
            _known("urgency", ("Immediate", "Expected", "Future", "Past", "Unknown")),
            name=op.f("ck_warning_messages_urgency_known"),
        ),
        sa.ForeignKeyConstraint(
            ["alarm_id"], ["alarms.id"], name=op.f("fk_warning_messages_alarm_id_alarms"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_warning_messages_author_id_users"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["warnings.id"],
            name=op.f("fk_warning_messages_warning_id_warnings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warning_messages")),
        sa.UniqueConstraint("identifier", name=op.f("uq_warning_messages_identifier")),
        sa.UniqueConstraint("warning_id", "seq", name=op.f("uq_warning_messages_warning_id_seq")),
    )
    op.create_index(op.f("ix_warning_messages_alarm_id"), "warning_messages", ["alarm_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_warning_messages_alarm_id"), table_name="warning_messages")
    op.drop_table("warning_messages")
    op.drop_index("ix_warnings_area", table_name="warnings", postgresql_using="gist")
    op.drop_index("ix_warnings_ward_codes", table_name="warnings", postgresql_using="gin")
    op.drop_index(
        "ix_warnings_current", table_name="warnings", postgresql_where=sa.text("cancelled_at IS NULL")
    )
    op.drop_table("warnings")
    op.drop_index("ix_device_tokens_wards", table_name="device_tokens", postgresql_using="gin")
    op.drop_column("device_tokens", "wards")
    op.execute("DROP SEQUENCE warning_number_seq")
