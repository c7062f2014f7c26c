"""Administrative units with boundaries.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "admin_units",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("level", sa.Enum("province", "ward", name="unit_level"), nullable=False),
        sa.Column("parent_code", sa.String(length=5), nullable=True),
        sa.Column("boundary", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False),
        sa.Column("centroid", Geometry("POINT", srid=4326, spatial_index=False), nullable=False),
        sa.Column("demo_geometry", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "(level = 'province' AND parent_code IS NULL AND code ~ '^[0-9]{2}$') OR "
            "(level = 'ward' AND parent_code IS NOT NULL AND code ~ '^[0-9]{5}$')",
            name=op.f("ck_admin_units_code_matches_level"),
        ),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["admin_units.code"],
            name=op.f("fk_admin_units_parent_code_admin_units"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_admin_units")),
    )
    op.create_index("ix_admin_units_boundary", "admin_units", ["boundary"], postgresql_using="gist")
    op.create_index(op.f("ix_admin_units_level"), "admin_units", ["level"])
    op.create_index(op.f("ix_admin_units_parent_code"), "admin_units", ["parent_code"])


def downgrade() -> None:
    op.drop_table("admin_units")
    op.execute("DROP TYPE IF EXISTS unit_level")
