"""Where a warning applies: its chosen wards, its polygon, the wards it concerns, and who may address them.

A polygon must lie inside a stored province (422 outside_province otherwise); the wards whose inside it
reaches are concerned by it, so their followers are told. An officer may address only wards of his units:
every ward concerned, chosen or reached by the polygon, must be one (403 outside_unit otherwise, naming the
first that is not); a polygon that reaches no ward needs its province in his units. Admins address any.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, invalid_parameter
from core.identity.scope import UnitScope, outside_unit
from ioc.warnings import repository
from ioc.warnings.cap import Ring
from ioc.warnings.repository import Ward
from ioc.warnings.schemas import AreaIn, PolygonIn

# The area of a polygon that reaches no stored ward.
DRAWN_AREA = Message("Khu vực được khoanh trên bản đồ", "The area drawn on the map")


@dataclass(frozen=True, slots=True)
class Area:
    province_code: str
    chosen: list[Ward]  # with their boundaries
    affected_codes: list[str]  # the chosen wards, then those the polygon reaches
    affected: list[Ward]
    polygon: list[list[float]] | None  # the ring, [lon, lat] positions
    description: Message

    @property
    def chosen_codes(self) -> list[str]:
        return [ward.code for ward in self.chosen]

    @property
    def polygon_wkt(self) -> str | None:
        return polygon_wkt(self.polygon) if self.polygon is not None else None

    @property
    def cap_rings(self) -> list[Ring]:
        """Each chosen ward's polygons (outer rings: CAP polygons have no holes), then the drawn one."""
        rings: list[Ring] = [part[0] for ward in self.chosen for part in ward.polygons]
        if self.polygon is not None:
            rings.append(self.polygon)
        return rings


def polygon_wkt(ring: list[list[float]]) -> str:
    return "POLYGON((" + ", ".join(f"{lon!r} {lat!r}" for lon, lat in ring) + "))"


def _ring(polygon: PolygonIn) -> list[list[float]]:
    return [[lon, lat] for lon, lat in polygon.coordinates[0]]


def _described(given: Message | None, affected: list[Ward]) -> Message:
    if given is not None:
        return given
    if not affected:
        return DRAWN_AREA
    return Message(", ".join(ward.name for ward in affected), ", ".join(ward.name_en for ward in affected))


async def _with_polygon_wards(session: AsyncSession, chosen: list[Ward], wkt: str | None) -> list[Ward]:
    if wkt is None:
        return list(chosen)
    known = {ward.code for ward in chosen}
    reached = [code for code in await repository.wards_under(session, wkt) if code not in known]
    return [*chosen, *await repository.wards(session, reached, with_boundaries=False)]


async def resolve(session: AsyncSession, area: AreaIn) -> Area:
    """Check an area as an officer sent it: every ward code a stored ward, the polygon inside a province."""
    chosen = await repository.wards(session, area.ward_codes, with_boundaries=True)
    unknown = [code for code in area.ward_codes if code not in {ward.code for ward in chosen}]
    if unknown:
        raise invalid_parameter(
            ("area", "ward_codes"),
            Message(f"Không có phường, xã mã {unknown[0]}", f"No ward has the code {unknown[0]}"),
            code="unit_not_found",
            location="body",
        )
    ring = _ring(area.polygon) if area.polygon is not None else None
    wkt = polygon_wkt(ring) if ring is not None else None
    province = chosen[0].province_code if chosen else None
    if wkt is not None:
        covering = await repository.province_covering(session, wkt)
        if covering is None:
            raise invalid_parameter(
                ("area", "polygon"),
                Message("Vùng cảnh báo nằm ngoài địa bàn tỉnh", "The polygon is not inside the province"),
                code="outside_province",
                location="body",
            )
        province = province or covering
    assert province is not None  # the schema asks for a ward or a polygon
    affected = await _with_polygon_wards(session, chosen, wkt)
    given = Message(area.description.vi, area.description.en) if area.description is not None else None
    return Area(
        province_code=province,
        chosen=chosen,
        affected_codes=[ward.code for ward in affected],
        affected=affected,
        polygon=ring,
        description=_described(given, affected),
    )


async def stored(session: AsyncSession, row: Any) -> Area:
    """The area of a stored message, as it was published (a cancellation repeats it unchecked)."""
    ring = json.loads(row.polygon_geojson)["coordinates"][0] if row.polygon_geojson else None
    chosen = await repository.wards(session, row.ward_codes, with_boundaries=True)
    known = {ward.code for ward in chosen}
    others = [code for code in row.affected_ward_codes if code not in known]
    affected = [*chosen, *await repository.wards(session, others, with_boundaries=False)]
    return Area(
        province_code=row.province_code,
        chosen=chosen,
        affected_codes=list(row.affected_ward_codes),
        affected=affected,
        polygon=ring,
        description=Message(row.area_desc_vi, row.area_desc_en),
    )


def ensure_in_scope(scope: UnitScope, area: Area) -> None:
    """403 outside_unit unless every ward concerned (or, when none is, the province) is in `scope`."""
    for code in area.affected_codes or [area.province_code]:
        if not scope.allows(code):
            raise outside_unit(code)
