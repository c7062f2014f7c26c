"""All SQL for administrative units: upsert, read, list, and locate a point."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.units.models import AdminUnit, UnitLevel
from core.units.schemas import LabelPoint, Location, MultiPolygonGeometry, UnitFeature, UnitSummary

units: Table = AdminUnit.metadata.tables["admin_units"]

# Decimals of coordinates served as GeoJSON: 1e-6 degrees is about 0.1 m, finer than any boundary survey.
GEOJSON_DECIMALS = 6


@dataclass(frozen=True, slots=True)
class UnitWrite:
    """A validated unit ready to be stored; the boundary is WKB in SRID 4326 (Polygon or MultiPolygon)."""

    code: str
    name: str
    name_en: str
    level: UnitLevel
    parent_code: str | None
    boundary_wkb: bytes
    demo_geometry: bool


# The label point is ST_PointOnSurface, not ST_Centroid: a ward bent around a river or a province with islands
# can have its centroid outside itself, and a label or a "locate this unit" point must fall inside the unit.
# An unchanged row is left alone, so re-running an import keeps updated_at meaningful.
_UPSERT = text("""
INSERT INTO admin_units AS u
    (code, name, name_en, level, parent_code, boundary, centroid, demo_geometry, updated_at)
VALUES (
    :code, :name, :name_en, CAST(:level AS unit_level), :parent_code,
    ST_Multi(ST_GeomFromWKB(:boundary, 4326)),
    ST_PointOnSurface(ST_Multi(ST_GeomFromWKB(:boundary, 4326))),
    :demo_geometry, now()
)
ON CONFLICT (code) DO UPDATE SET
    name = excluded.name,
    name_en = excluded.name_en,
    level = excluded.level,
    parent_code = excluded.parent_code,
    boundary = excluded.boundary,
    centroid = excluded.centroid,
    demo_geometry = excluded.demo_geometry,
    updated_at = excluded.updated_at
WHERE (u.name, u.name_en, u.level, u.parent_code, u.demo_geometry)
        IS DISTINCT FROM (excluded.name, excluded.name_en, excluded.level, excluded.parent_code,
                          excluded.demo_geometry)
    OR NOT ST_OrderingEquals(u.boundary, excluded.boundary)
""")

# ST_Covers (not ST_Contains) so that a point on a boundary belongs to a unit; both are answered through the
# GIST index on boundary. A point on the edge shared by two wards is covered by both: the lowest code wins, so
# the answer is always the same. Once a ward is found its province is its parent, read by primary key, which
# spares a point-in-polygon test against the much larger province boundary.
LOCATE_QUERY = text("""
WITH ward AS (
    SELECT u.code, u.parent_code
    FROM admin_units AS u
    WHERE u.level = 'ward' AND ST_Covers(u.boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
    ORDER BY u.code
    LIMIT 1
),
province AS (
    SELECT parent_code AS code FROM ward
    UNION ALL
    (
        SELECT u.code
        FROM admin_units AS u
        WHERE NOT EXISTS (SELECT FROM ward)
            AND u.level = 'province' AND ST_Covers(u.boundary, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
        ORDER BY u.code
        LIMIT 1
    )
)
SELECT u.code, u.name, u.name_en, u.level::text AS level, u.parent_code,
       ST_Y(u.centroid) AS lat, ST_X(u.centroid) AS lon, u.demo_geometry
FROM admin_units AS u
WHERE u.code IN (SELECT code FROM ward UNION ALL SELECT code FROM province)
""")


def _summary_columns() -> tuple[ColumnElement[Any], ...]:
    return (
        units.c.code,
        units.c.name,
        units.c.name_en,
        units.c.level,
        units.c.parent_code,
        func.ST_Y(units.c.centroid).label("lat"),
        func.ST_X(units.c.centroid).label("lon"),
        units.c.demo_geometry,
    )


def _summary(row: Any) -> UnitSummary:
    return UnitSummary(
        code=row.code,
        name=row.name,
        name_en=row.name_en,
        level=UnitLevel(row.level),
        parent_code=row.parent_code,
        # 7 decimals is about a centimetre: more is noise from the point-on-surface computation.
        centroid=LabelPoint(lat=round(row.lat, 7), lon=round(row.lon, 7)),
        demo_geometry=row.demo_geometry,
    )


async def upsert_units(session: AsyncSession, batch: Sequence[UnitWrite]) -> None:
    """Insert or update units by code; provinces go first so that their wards' parent references resolve."""
    provinces = [unit for unit in batch if unit.level is UnitLevel.PROVINCE]
    wards = [unit for unit in batch if unit.level is UnitLevel.WARD]
    for group in (provinces, wards):
        if group:
            await session.execute(_UPSERT, [_parameters(unit) for unit in group])


def _parameters(unit: UnitWrite) -> dict[str, Any]:
    return {
        "code": unit.code,
        "name": unit.name,
        "name_en": unit.name_en,
        "level": unit.level.value,
        "parent_code": unit.parent_code,
        "boundary": unit.boundary_wkb,
        "demo_geometry": unit.demo_geometry,
    }


async def province_boundaries(session: AsyncSession, codes: Collection[str]) -> dict[str, bytes]:
    """WKB boundaries of the stored provinces among `codes` (other codes are left out)."""
    if not codes:
        return {}
    result = await session.execute(
        select(units.c.code, func.ST_AsBinary(units.c.boundary).label("wkb")).where(
            units.c.level == UnitLevel.PROVINCE, units.c.code.in_(sorted(codes))
        )
    )
    return {row.code: bytes(row.wkb) for row in result}


async def get_unit(session: AsyncSession, code: str) -> UnitSummary | None:
    row = (await session.execute(select(*_summary_columns()).where(units.c.code == code))).first()
    return _summary(row) if row is not None else None


async def get_unit_feature(session: AsyncSession, code: str) -> UnitFeature | None:
    """The unit with its boundary, as a GeoJSON Feature."""
    statement = select(
        *_summary_columns(), func.ST_AsGeoJSON(units.c.boundary, GEOJSON_DECIMALS).label("geojson")
    ).where(units.c.code == code)
    row = (await session.execute(statement)).first()
    if row is None:
        return None
    return UnitFeature(
        id=row.code,
        geometry=MultiPolygonGeometry.model_validate(json.loads(row.geojson)),
        properties=_summary(row),
    )


async def list_units(
    session: AsyncSession, *, level: UnitLevel | None = None, parent_code: str | None = None
) -> list[UnitSummary]:
    statement = select(*_summary_columns()).order_by(units.c.code)
    if level is not None:
        statement = statement.where(units.c.level == level)
    if parent_code is not None:
        statement = statement.where(units.c.parent_code == parent_code)
    return [_summary(row) for row in await session.execute(statement)]


async def locate(session: AsyncSession, lon: float, lat: float) -> Location | None:
    """The ward and the province containing the point (GeoJSON order: lon, lat), or None when no province
    contains it.

    The ward is None when the point lies in a province but in none of its stored wards.
    """
    rows = (await session.execute(LOCATE_QUERY, {"lon": lon, "lat": lat})).all()
    found = {UnitLevel(row.level): _summary(row) for row in rows}
    province = found.get(UnitLevel.PROVINCE)
    if province is None:
        return None
    return Location(province=province, ward=found.get(UnitLevel.WARD))
