"""The operations centre's map: what the map layers and vector tiles need (per-zoom geometry, indexes).

- map_unit_shapes: each unit's boundary in Web Mercator, simplified once per zoom band, kept current by a
  trigger on admin_units (any insert, or an update of the boundary, rewrites that unit's rows);
- GIST indexes on ST_Transform(point, 3857) for reports (open ones, and all), devices, active alarms and
  field staff positions, so a tile filters on `&& ST_TileEnvelope(...)` through an index;
- the reports of a period (hotspots) by created_at, with their location, unit and category in the index;
- map_report_cells: open reports counted per square of world / 2^17 (about 306 m), unit and public flag,
  kept by statement triggers on feedback_reports (one upsert per cell per statement, so a bulk load pays
  once per cell), so that the reports layer's clusters never count a province's reports one by one;
- map_report_days: unmerged reports counted per UTC day of filing, square (of world / 2^15 and / 2^17) and
  unit, kept by statement triggers in the same way, so that hotspots sum a period's counts instead of its
  reports.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (band, tolerance in metres): half a 256 px pixel at the band's highest zoom (6, 9, 12, then 14 and up).
# The same numbers as ioc.map.models.UNIT_BANDS, written out so that this revision never changes.
_BANDS = "(0, 1223.0), (1, 152.9), (2, 19.1), (3, 4.8)"
_OPEN = "status IN ('accepted', 'assigned', 'in_progress', 'submitted')"

_SHAPES_OF = f"""
INSERT INTO map_unit_shapes (code, band, geom)
SELECT u.code, b.band,
       ST_Multi(ST_CollectionExtract(ST_MakeValid(
           ST_SimplifyPreserveTopology(ST_Transform(u.boundary, 3857), b.tolerance)), 3))
FROM admin_units AS u CROSS JOIN (VALUES {_BANDS}) AS b(band, tolerance)
"""  # noqa: S608

_FUNCTION = f"""
CREATE FUNCTION map_refresh_unit_shapes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM map_unit_shapes WHERE code = NEW.code;
    {_SHAPES_OF.strip()}
    WHERE u.code = NEW.code;
    RETURN NULL;
END
$$
"""  # noqa: S608


_HALF_WORLD = 20037508.342789244
_CELL = 2 * _HALF_WORLD / 2**17
# The open, unmerged versions among `rows` (which carry `sign`: +1 added, -1 removed), per cell, applied.
_CELLS_OF = f"""
INSERT INTO map_report_cells AS c (i, j, unit_code, is_public, n, sx, sy)
SELECT i, j, unit_code, is_public, sum(sign), sum(sign * x), sum(sign * y)
FROM (
    SELECT sign, unit_code, is_public, x, y,
           floor((x + {_HALF_WORLD}) / {_CELL})::int AS i, floor((y + {_HALF_WORLD}) / {_CELL})::int AS j
    FROM (
        SELECT sign, unit_code, is_public,
               ST_X(location) * {_HALF_WORLD} / 180 AS x,
               ln(tan(radians(45 + ST_Y(location) / 2))) * 6378137.0 AS y
        FROM ({{rows}}) AS changed
        WHERE {_OPEN} AND merged_into_id IS NULL
    ) AS points
) AS cells
GROUP BY i, j, unit_code, is_public
HAVING sum(sign) <> 0 OR sum(sign * x) <> 0 OR sum(sign * y) <> 0
ON CONFLICT (i, j, unit_code, is_public) DO UPDATE
SET n = c.n + EXCLUDED.n, sx = c.sx + EXCLUDED.sx, sy = c.sy + EXCLUDED.sy
"""  # noqa: S608
_CELL_COLUMNS = "location, unit_code, is_public, status, merged_into_id"


def _rows(columns: str, table: str, sign: int = 1) -> str:
    return f"SELECT {sign} AS sign, {columns} FROM {table}"  # noqa: S608


def _apply_function(name: str, upsert: str, columns: str) -> str:
    """A statement trigger's function: `upsert` applied to the rows the statement added (+1) and removed (-1),
    read from its transition tables."""
    added, removed = _rows(columns, "added"), _rows(columns, "removed", -1)
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {upsert.format(rows=added)};
    ELSIF TG_OP = 'DELETE' THEN
        {upsert.format(rows=removed)};
    ELSE
        {upsert.format(rows=f"{added} UNION ALL {removed}")};
    END IF;
    RETURN NULL;
END
$$
"""


_CELL_TRIGGERS = {
    "feedback_reports_map_cells_insert": "AFTER INSERT ON feedback_reports REFERENCING NEW TABLE AS added",
    "feedback_reports_map_cells_update": (
        "AFTER UPDATE ON feedback_reports REFERENCING OLD TABLE AS removed NEW TABLE AS added"
    ),
    "feedback_reports_map_cells_delete": "AFTER DELETE ON feedback_reports REFERENCING OLD TABLE AS removed",
}


# The unmerged versions among `rows`, per level (ioc.map.models.REPORT_DAY_LEVELS), day, square and unit,
# applied: a fine square's (i, j) shifted right by 2 is its coarse square's.
_DAYS_OF = f"""
INSERT INTO map_report_days AS d (level, day, i, j, unit_code, n)
SELECT l.level, day, i >> (17 - l.level), j >> (17 - l.level), unit_code, sum(sign)
FROM (
    SELECT sign, unit_code, (created_at AT TIME ZONE 'UTC')::date AS day,
           floor((ST_X(location) * {_HALF_WORLD} / 180 + {_HALF_WORLD}) / {_CELL})::int AS i,
           floor((ln(tan(radians(45 + ST_Y(location) / 2))) * 6378137.0 + {_HALF_WORLD}) / {_CELL})::int AS j
    FROM ({{rows}}) AS changed
    WHERE merged_into_id IS NULL
) AS cells
CROSS JOIN (VALUES (15), (17)) AS l(level)
GROUP BY 1, 2, 3, 4, 5
HAVING sum(sign) <> 0
ON CONFLICT (level, day, i, j, unit_code) DO UPDATE SET n = d.n + EXCLUDED.n
"""  # noqa: S608
_DAY_COLUMNS = "location, unit_code, created_at, merged_into_id"
_DAY_TRIGGERS = {name.replace("map_cells", "map_days"): when for name, when in _CELL_TRIGGERS.items()}


def _mercator_index(name: str, table: str, column: str, where: str | None = None) -> None:
    op.create_index(
        name,
        table,
        [sa.text(f"ST_Transform({column}, 3857)")],
        unique=False,
        postgresql_using="gist",
        postgresql_where=sa.text(where) if where else None,
    )


def _counts(function: str, upsert: str, columns: str, triggers: dict[str, str]) -> None:
    """The function and statement triggers keeping a table of counts, and the counts of the reports now."""
    op.execute(_apply_function(function, upsert, columns))
    for name, when in triggers.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION {function}()")
    op.execute(upsert.format(rows=_rows(columns, "feedback_reports")))


def upgrade() -> None:
    op.create_table(
        "map_unit_shapes",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column("band", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON", srid=3857, spatial_index=False, from_text="ST_GeomFromEWKT"
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["code"],
            ["admin_units.code"],
            name=op.f("fk_map_unit_shapes_code_admin_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("code", "band", name=op.f("pk_map_unit_shapes")),
    )
    op.create_index(
        "ix_map_unit_shapes_geom", "map_unit_shapes", ["geom"], unique=False, postgresql_using="gist"
    )
    op.execute(_SHAPES_OF)
    op.execute(_FUNCTION)
    op.execute(
        "CREATE TRIGGER admin_units_map_shapes AFTER INSERT OR UPDATE OF boundary ON admin_units "
        "FOR EACH ROW EXECUTE FUNCTION map_refresh_unit_shapes()"
    )
    _mercator_index("ix_map_reports_open_geom", "feedback_reports", "location", _OPEN)
    _mercator_index("ix_map_reports_geom", "feedback_reports", "location")
    op.create_index(
        "ix_map_reports_created",
        "feedback_reports",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("merged_into_id IS NULL"),
        postgresql_include=["location", "unit_code", "category_code"],
    )
    op.create_table(
        "map_report_cells",
        sa.Column("i", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("j", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("sx", sa.Float(), nullable=False),
        sa.Column("sy", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("i", "j", "unit_code", "is_public", name=op.f("pk_map_report_cells")),
    )
    _counts("map_report_cells_apply", _CELLS_OF, _CELL_COLUMNS, _CELL_TRIGGERS)
    op.create_table(
        "map_report_days",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("i", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("j", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("unit_code", sa.String(length=5), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("level", "day", "i", "j", "unit_code", name=op.f("pk_map_report_days")),
    )
    _counts("map_report_days_apply", _DAYS_OF, _DAY_COLUMNS, _DAY_TRIGGERS)
    _mercator_index("ix_map_devices_geom", "devices", "location")
    _mercator_index("ix_map_alarms_active_geom", "alarms", "location", "cleared_at IS NULL")
    _mercator_index("ix_map_field_staff_geom", "field_staff_status", "position")


def downgrade() -> None:
    for name, table in (
        ("ix_map_field_staff_geom", "field_staff_status"),
        ("ix_map_alarms_active_geom", "alarms"),
        ("ix_map_devices_geom", "devices"),
        ("ix_map_reports_created", "feedback_reports"),
        ("ix_map_reports_geom", "feedback_reports"),
        ("ix_map_reports_open_geom", "feedback_reports"),
    ):
        op.drop_index(name, table_name=table)
    for table, function, triggers in (
        ("map_report_days", "map_report_days_apply", _DAY_TRIGGERS),
        ("map_report_cells", "map_report_cells_apply", _CELL_TRIGGERS),
    ):
        for name in triggers:
            op.execute(f"DROP TRIGGER {name} ON feedback_reports")
        op.execute(f"DROP FUNCTION {function}()")
        op.drop_table(table)
    op.execute("DROP TRIGGER admin_units_map_shapes ON admin_units")
    op.execute("DROP FUNCTION map_refresh_unit_shapes()")
    op.drop_index("ix_map_unit_shapes_geom", table_name="map_unit_shapes", postgresql_using="gist")
    op.drop_table("map_unit_shapes")
