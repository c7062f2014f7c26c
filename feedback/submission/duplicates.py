"""Duplicate search: open public reports of a category near a point, shown before a citizen files another.

The query must stay fast with millions of reports. It relies on the partial GIST index
ix_feedback_reports_open_location (open reports only), which the planner uses only when the query repeats
its predicate: the open statuses are therefore written into the SQL as literals, never as parameters (a
generic plan could not prove that a parameter matches the index). The index answers a bounding box in
degrees, chosen a little larger than the radius; the exact distance on the spheroid then filters and sorts.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from feedback.submission import repository
from feedback.submission.repository import NearbyRow

# Metres in one degree of latitude at its shortest (the equator); longitude degrees shrink with cos(lat).
_METRES_PER_DEGREE = 110_574.0
_MARGIN = 1.1
_MAX_LATITUDE = 89.0


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
    return await repository.nearby_open_rows(
        session, category_code, lat, lon, dlon=dlon, dlat=dlat, radius_m=radius_m, since=since, limit=limit
    )
