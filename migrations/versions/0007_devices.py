"""The device registry.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "devices",
        sa.Column("id", sa.UUID(), server_default=sa.text("gen_random_uuid()"), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("location", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("ward_code", sa.String(length=5), nullable=True),
        sa.Column("province_code", sa.String(length=5), nullable=False),
        sa.Column(
            "metadata",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=16), server_default="active", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decommissioned_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "type IN ('camera_traffic', 'camera_security', 'air_quality', 'water_level', 'noise')",
            name=op.f("ck_devices_type_known"),
        ),
        sa.CheckConstraint(
            "status IN ('active', 'maintenance', 'decommissioned')", name=op.f("ck_devices_status_known")
        ),
        sa.CheckConstraint("char_length(name) BETWEEN 1 AND 200", name=op.f("ck_devices_name_length")),
        sa.CheckConstraint("jsonb_typeof(metadata) = 'object'", name=op.f("ck_devices_metadata_is_object")),
        sa.CheckConstraint(
            "(status = 'decommissioned') = (decommissioned_at IS NOT NULL)",
            name=op.f("ck_devices_decommissioned_at_matches_status"),
        ),
        sa.ForeignKeyConstraint(
            ["ward_code"],
            ["admin_units.code"],
            name=op.f("fk_devices_ward_code_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["admin_units.code"],
            name=op.f("fk_devices_province_code_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_devices")),
    )
    op.create_index("ix_devices_location", "devices", ["location"], postgresql_using="gist")
    op.create_index("ix_devices_created", "devices", ["created_at", "id"])
    op.create_index("ix_devices_ward_code", "devices", ["ward_code"])


def downgrade() -> None:
    op.drop_table("devices")
