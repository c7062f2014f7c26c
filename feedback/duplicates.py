"""Duplicate search: open public reports of a category near a point, shown before a citizen files another.

The query must stay fast with millions of reports. It relies on the partial GIST index
ix_feedback_reports_open_location (open reports only), which the planner uses only when the query repeats
its predicate: the open statuses are therefore written into the SQL as literals, never as parameters (a
generic plan could not prove that a parameter matches the index). The index answers a bounding box in
degrees, chosen a little larger than the radius; the exact distance on the spheroid then filters and sorts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.status import OPEN_STATUSES

# Metres in one degree of latitude at its shortest (the equator); longitude degrees shrink with cos(lat).
_METRES_PER_DEGREE = 110_574.0
_MARGIN = 1.1
_MAX_LATITUDE = 89.0
_OPEN_SQL = ", ".join(f"'{status.value}'" for status in sorted(OPEN_STATUSES))

# Only constants are formatted into the text: the statuses of the index predicate.
NEARBY_QUERY = text(
    """
SELECT r.id, r.code, r.category_code, left(r.description, 200) AS description,
       ST_Y(r.location) AS lat, ST_X(r.location) AS lon, r.address, r.ward_code, r.status, r.urgent,
       r.created_at, r.resolve_due_at, r.support_count,
       (SELECT p.thumbnail_key FROM feedback_photos AS p
        WHERE p.report_id = r.id AND p.kind = 'report' ORDER BY p.position LIMIT 1) AS thumbnail_key,
       ST_Distance(r.location::geography, q.point::geography) AS distance_m
FROM feedback_reports AS r,
     (SELECT ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS point) AS q
WHERE r.status IN (:open_statuses)
  AND r.location && ST_Expand(q.point, :dlon, :dlat)
  AND ST_DWithin(r.location::geography, q.point::geography, :radius)
  AND r.category_code = :category_code
  AND r.is_public AND r.merged_into_id IS NULL
  AND r.created_at >= :since
ORDER BY distance_m, r.created_at DESC, r.id
LIMIT :limit
""".replace(":open_statuses", _OPEN_SQL)
)


@dataclass(frozen=True, slots=True)
class NearbyRow:
    id: Any
    code: str
    category_code: str
    description: str
    lat: float
    lon: float
    address: str | None
    ward_code: str | None
    status: str
    urgent: bool
    created_at: datetime
    resolve_due_at: datetime
    support_count: int
    thumbnail_key: str | None
    distance_m: float


def degree_box(lat: float, radius_m: float) -> tuple[float, float]:
    """Half-widths (longitude, latitude) in degrees of a box surely containing the circle."""
    dlat = radius_m / _METRES_PER_DEGREE * _MARGIN
    cos_lat = math.cos(math.radians(min(abs(lat) + dlat, _MAX_LATITUDE)))
    return min(dlat / cos_lat, 180.0), dlat


async def find_nearby_open(
    session: AsyncSession,
    category_code: str,
    lat: float,
    lon: float,
    *,
    radius_m: float,
    since: datetime,
    limit: int = 10,
) -> list[NearbyRow]:
    """Open, public, not merged reports of the category within `radius_m` of (lat, lon), created at or after
    `since`, nearest first."""
    dlon, dlat = degree_box(lat, radius_m)
    rows = await session.execute(
        NEARBY_QUERY,
        {
            "lat": lat,
            "lon": lon,
            "dlon": dlon,
            "dlat": dlat,
            "radius": float(radius_m),
            "category_code": category_code,
            "since": since,
            "limit": limit,
        },
    )
    return [NearbyRow(**row._mapping) for row in rows]
