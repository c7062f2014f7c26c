"""Incidents: alarms and citizen reports joined into one thing on the map.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEVERITIES = "'critical', 'major', 'minor', 'warning', 'indeterminate'"


def upgrade() -> None:
    op.execute("CREATE SEQUENCE ioc_incident_number_seq")
    op.create_table(
        "incidents",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("code", sa.String(length=24), nullable=False),
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="open", nullable=False),
        sa.Column("lead_alarm_id", sa.UUID(), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("title_vi", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column(
            "footprint",
            geoalchemy2.types.Geometry(
                geometry_type="POLYGON",
                srid=4326,
                dimension=2,
                spatial_index=False,
                from_text="ST_GeomFromEWKT",
                name="geometry",
            ),
            nullable=True,
        ),
        sa.Column("alarm_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("report_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("created_by", sa.UUID(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.UUID(), nullable=True),
        sa.Column("close_reason", sa.String(length=16), nullable=True),
        sa.CheckConstraint("status IN ('open', 'closed')", name=op.f("ck_incidents_status_known")),
        sa.CheckConstraint(f"severity IN ({_SEVERITIES})", name=op.f("ck_incidents_severity_known")),
        sa.CheckConstraint(
            "close_reason IS NULL OR close_reason IN ('resolved', 'officer', 'empty')",
            name=op.f("ck_incidents_close_reason_known"),
        ),
        sa.CheckConstraint(
            "(status = 'closed') = (closed_at IS NOT NULL)",
            name=op.f("ck_incidents_closed_at_matches_status"),
        ),
        sa.CheckConstraint("code ~ '^SC-[0-9]{4}-[0-9]{6,}$'", name=op.f("ck_incidents_code_format")),
        sa.CheckConstraint(
            "alarm_count >= 0 AND report_count >= 0", name=op.f("ck_incidents_counts_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["users.id"], name=op.f("fk_incidents_closed_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_incidents_created_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["lead_alarm_id"],
            ["alarms.id"],
            name=op.f("fk_incidents_lead_alarm_id_alarms"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["admin_units.code"],
            name=op.f("fk_incidents_unit_code_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
        sa.UniqueConstraint("code", name=op.f("uq_incidents_code")),
    )
    op.create_index("ix_incidents_created", "incidents", ["created_at", "id"], unique=False)
    op.create_index("ix_incidents_unit_created", "incidents", ["unit_code", "created_at", "id"], unique=False)
    op.create_index(
        "ix_incidents_open", "incidents", ["id"], unique=False, postgresql_where=sa.text("status = 'open'")
    )
    op.create_index(
        "ix_incidents_footprint", "incidents", ["footprint"], unique=False, postgresql_using="gist"
    )
    op.create_table(
        "incident_members",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("incident_id", sa.UUID(), nullable=False),
        sa.Column("member_kind", sa.String(length=8), nullable=False),
        sa.Column("member_id", sa.UUID(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("linked_by", sa.UUID(), nullable=True),
        sa.Column("unlinked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlinked_by", sa.UUID(), nullable=True),
        sa.Column("incident_open", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.CheckConstraint(
            "member_kind IN ('alarm', 'report')", name=op.f("ck_incident_members_member_kind_known")
        ),
        sa.CheckConstraint(
            "unlinked_at IS NULL OR unlinked_at >= linked_at",
            name=op.f("ck_incident_members_unlinked_after_linked"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_members_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["linked_by"], ["users.id"], name=op.f("fk_incident_members_linked_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["unlinked_by"],
            ["users.id"],
            name=op.f("fk_incident_members_unlinked_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_members")),
    )
    op.create_index(
        "uq_incident_members_open",
        "incident_members",
        ["member_kind", "member_id"],
        unique=True,
        postgresql_where=sa.text("unlinked_at IS NULL AND incident_open"),
    )
    op.create_index(
        "ix_incident_members_incident",
        "incident_members",
        ["incident_id"],
        unique=False,
        postgresql_where=sa.text("unlinked_at IS NULL"),
    )
    op.create_index(
        "ix_incident_members_unlinked",
        "incident_members",
        ["member_kind", "member_id"],
        unique=False,
        postgresql_where=sa.text("unlinked_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_incident_members_unlinked", table_name="incident_members")
    op.drop_index("ix_incident_members_incident", table_name="incident_members")
    op.drop_index("uq_incident_members_open", table_name="incident_members")
    op.drop_table("incident_members")
    op.drop_index("ix_incidents_footprint", table_name="incidents", postgresql_using="gist")
    op.drop_index("ix_incidents_open", table_name="incidents")
    op.drop_index("ix_incidents_unit_created", table_name="incidents")
    op.drop_index("ix_incidents_created", table_name="incidents")
    op.drop_table("incidents")
    op.execute("DROP SEQUENCE ioc_incident_number_seq")
