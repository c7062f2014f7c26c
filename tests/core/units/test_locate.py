from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import shapely
from shapely.geometry import shape
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.units import repository
from core.units.importer import import_units
from core.units.models import UnitLevel
from tests.support.units import DEMO

WARDS: dict[str, Any] = {
    f["properties"]["code"]: shape(f["geometry"])
    for f in DEMO["features"]
    if f["properties"]["level"] == "ward"
}


def vertices(geometry: Any) -> set[tuple[float, float]]:
    return {(x, y) for x, y in shapely.get_coordinates(geometry.boundary)}


def shared_vertices() -> Counter[tuple[float, float]]:
    """How many wards each vertex belongs to."""
    counts: Counter[tuple[float, float]] = Counter()
    for geometry in WARDS.values():
        counts.update(vertices(geometry))
    return counts


@pytest.mark.parametrize("code", sorted(WARDS))
async def test_a_point_inside_a_ward_finds_the_ward_and_the_province(units: AsyncSession, code: str) -> None:
    point = WARDS[code].representative_point()

    location = await repository.locate(units, point.x, point.y)

    assert location is not None
    assert location.ward is not None
    assert location.ward.code == code
    assert location.ward.parent_code == "37"
    assert location.province.code == "37"
    assert location.province.name == "Ninh Bình"


async def test_the_label_point_of_every_unit_lies_in_that_unit(units: AsyncSession) -> None:
    for unit in await repository.list_units(units, level=UnitLevel.WARD):
        location = await repository.locate(units, unit.centroid.lon, unit.centroid.lat)
        assert location is not None
        assert location.ward is not None
        assert location.ward.code == unit.code


@pytest.mark.parametrize(
    ("lon", "lat"),
    [(105.0, 20.0), (106.30, 20.43), (106.17, 20.30), (-106.17, -20.43), (180.0, 90.0)],
)
async def test_a_point_outside_every_province_finds_nothing(
    units: AsyncSession, lon: float, lat: float
) -> None:
    assert await repository.locate(units, lon, lat) is None


async def test_a_vertex_shared_by_wards_resolves_to_the_lowest_code_every_time(units: AsyncSession) -> None:
    counts = shared_vertices()
    outline = vertices(shapely.unary_union(list(WARDS.values())))
    inner = sorted(v for v, n in counts.items() if n >= 2 and v not in outline)
    assert inner, "the demo wards share no inner vertex"
    for lon, lat in inner[:: max(1, len(inner) // 40)]:
        owners = sorted(code for code, geometry in WARDS.items() if (lon, lat) in vertices(geometry))
        answers = {
            (loc.ward.code if loc and loc.ward else None)
            for loc in [await repository.locate(units, lon, lat) for _ in range(3)]
        }
        assert answers == {owners[0]}, (lon, lat, owners)


async def test_a_point_on_a_shared_edge_resolves_to_exactly_one_of_its_wards(units: AsyncSession) -> None:
    a, b = "13666", "13684"  # Nam Định and Thiên Trường are neighbours
    edge = WARDS[a].intersection(WARDS[b])
    assert edge.length > 0
    point = edge.interpolate(0.5, normalized=True)

    location = await repository.locate(units, point.x, point.y)

    assert location is not None
    assert location.ward is not None
    assert location.ward.code in {a, b}
    assert location.province.code == "37"


async def test_a_point_in_the_province_but_in_no_ward_finds_the_province_only(session: AsyncSession) -> None:
    province_ring = [[10, 10], [11, 10], [11, 11], [10, 11], [10, 10]]
    west_half = [[10, 10], [10.5, 10], [10.5, 11], [10, 11], [10, 10]]
    await import_units(
        session,
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {
                        "code": "98",
                        "name": "Tỉnh thử",
                        "name_en": "Test Province",
                        "level": "province",
                        "parent_code": None,
                    },
                    "geometry": {"type": "Polygon", "coordinates": [province_ring]},
                },
                {
                    "type": "Feature",
                    "properties": {
                        "code": "98001",
                        "name": "Phường thử",
                        "name_en": "Test Ward",
                        "level": "ward",
                        "parent_code": "98",
                    },
                    "geometry": {"type": "Polygon", "coordinates": [west_half]},
                },
            ],
        },
    )

    in_ward = await repository.locate(session, 10.25, 10.5)
    in_province_only = await repository.locate(session, 10.75, 10.5)

    assert in_ward is not None
    assert in_ward.ward is not None
    assert in_ward.ward.code == "98001"
    assert in_province_only is not None
    assert in_province_only.province.code == "98"
    assert in_province_only.ward is None


# A national-size table (3,600 wards in a grid) so that the planner chooses as it would in production.
NATIONAL_GRID = """
INSERT INTO admin_units (code, name, name_en, level, parent_code, boundary, centroid, demo_geometry)
VALUES ('98', 'Lưới', 'Grid', 'province', NULL, ST_Multi(ST_MakeEnvelope(0, 0, 60, 60, 4326)),
        ST_SetSRID(ST_MakePoint(30, 30), 4326), true);
INSERT INTO admin_units (code, name, name_en, level, parent_code, boundary, centroid, demo_geometry)
SELECT (90000 + i * 60 + j)::text, 'Ô', 'Cell', 'ward', '98',
       ST_Multi(ST_MakeEnvelope(i, j, i + 1, j + 1, 4326)),
       ST_SetSRID(ST_MakePoint(i + 0.5, j + 0.5), 4326), true
FROM generate_series(0, 59) AS i, generate_series(0, 59) AS j;
"""


async def explain_locate(session: AsyncSession, lon: float, lat: float) -> str:
    rows = await session.execute(text(f"EXPLAIN {repository.LOCATE_QUERY.text}"), {"lon": lon, "lat": lat})
    return "\n".join(row[0] for row in rows)


async def test_locate_uses_the_boundary_index_on_a_national_size_table(units: AsyncSession) -> None:
    for statement in NATIONAL_GRID.split(";"):
        if statement.strip():
            await units.execute(text(statement))
    await units.execute(text("ANALYZE admin_units"))

    plan = await explain_locate(units, 10.5, 20.5)

    assert "ix_admin_units_boundary" in plan
    assert "Seq Scan" not in plan
    location = await repository.locate(units, 10.5, 20.5)
    assert location is not None
    assert location.ward is not None
    assert location.ward.code == str(90000 + 10 * 60 + 20)


async def test_locate_can_use_the_boundary_index_on_the_demo_table(units: AsyncSession) -> None:
    # ANALYZE writes the table's size estimate outside the transaction, so another test's national-size table
    # would otherwise still steer this plan after its rollback.
    await units.execute(text("ANALYZE admin_units"))
    await units.execute(text("SET LOCAL enable_seqscan = off"))
    assert "ix_admin_units_boundary" in await explain_locate(units, 106.176, 20.433)
