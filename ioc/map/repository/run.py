"""Running the map's statements on the request's connection, straight through asyncpg.

The statements are asyncpg text with `$n` parameters (tiles.py, geojson.py); they run on the driver
connection under the request's session, inside its transaction, and answer bytes or text as PostgreSQL
made them, with no row ever built in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.bbox import BBox

_PROVINCE_EXTENT = """
SELECT ST_XMin(e) AS min_lon, ST_YMin(e) AS min_lat, ST_XMax(e) AS max_lon, ST_YMax(e) AS max_lat,
       ST_X(c) AS lon, ST_Y(c) AS lat
FROM (
    SELECT ST_Extent(boundary)::geometry AS e, ST_PointOnSurface(ST_Union(centroid)) AS c
    FROM admin_units WHERE level = 'province'
) AS provinces
WHERE e IS NOT NULL
"""


@dataclass(frozen=True, slots=True)
class Extent:
    bbox: BBox
    centre_lon: float
    centre_lat: float


async def _driver(session: AsyncSession) -> Any:
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    return raw.driver_connection


async def fetch_bytes(session: AsyncSession, statement: str, params: list[object]) -> bytes:
    value = await (await _driver(session)).fetchval(statement, *params)
    return bytes(value or b"")


async def fetch_text(session: AsyncSession, statement: str, params: list[object]) -> str:
    return str(await (await _driver(session)).fetchval(statement, *params))


async def province_extent(session: AsyncSession) -> Extent | None:
    """The box of every stored province and a point inside one (the map's centre); None with no units."""
    row = await (await _driver(session)).fetchrow(_PROVINCE_EXTENT)
    if row is None:
        return None
    box = BBox(row["min_lon"], row["min_lat"], row["max_lon"], row["max_lat"])
    return Extent(box, row["lon"], row["lat"])
