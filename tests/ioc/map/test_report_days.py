"""The reports' daily cells: kept by the statement triggers through inserts, merges, moves, re-dating and
deletes, and summed by the hotspots layer up to zoom 14 to the same counts as the reports themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.feedback.support import insert_report
from tests.ioc.map.conftest import IN_A, IN_A_NEAR, IN_B, WARD_B, Callers, move_report, tile_path
from tests.ioc.map.conftest import properties as props

# What the daily cells must say: the unmerged reports counted directly.
_DRIFT = text("""
SELECT count(*) FROM (
    SELECT l.level, (r.created_at AT TIME ZONE 'UTC')::date AS day, r.unit_code, count(*) AS n
    FROM feedback_reports AS r CROSS JOIN (VALUES (15), (17)) AS l(level)
    WHERE r.merged_into_id IS NULL GROUP BY 1, 2, 3
) AS direct
FULL JOIN (
    SELECT level, day, unit_code, sum(n) AS n FROM map_report_days GROUP BY 1, 2, 3 HAVING sum(n) <> 0
) AS cells USING (level, day, unit_code)
WHERE direct.n IS DISTINCT FROM cells.n
""")


async def _hotspot_total(
    client: httpx.AsyncClient, callers: Callers, lon_lat: tuple[float, float], z: int
) -> int:
    answer = await client.get(tile_path("hotspots", *lon_lat, z), headers=callers.admin.headers)
    return sum(p["count"] for p in props(answer, "hotspots"))


async def test_daily_cells_follow_every_change(
    client: httpx.AsyncClient, callers: Callers, province: AsyncSession
) -> None:
    first = await insert_report(province, lat_lon=(IN_A[1], IN_A[0]))
    second = await insert_report(province, lat_lon=(IN_A_NEAR[1], IN_A_NEAR[0]))
    third = await insert_report(province, lat_lon=(IN_A[1], IN_A[0]), is_public=False)
    assert await province.scalar(_DRIFT) == 0
    # Summed from the coarse daily squares (z10), the fine ones (z14), counted from the reports (z15) and for
    # a category (which the squares do not keep): the same three.
    assert [await _hotspot_total(client, callers, IN_A, z) for z in (10, 14, 15)] == [3, 3, 3]
    category = await province.scalar(text("SELECT category_code FROM feedback_reports LIMIT 1"))
    by_category = await client.get(
        tile_path("hotspots", *IN_A, 12) + f"?category={category}", headers=callers.admin.headers
    )
    assert sum(p["count"] for p in props(by_category, "hotspots")) == 3

    await province.execute(
        text("UPDATE feedback_reports SET merged_into_id = :into WHERE id = :id"),
        {"into": third.id, "id": second.id},
    )
    assert await province.scalar(_DRIFT) == 0
    assert await _hotspot_total(client, callers, IN_A, 12) == 2

    # Filed long ago: out of the default period of 30 days.
    await province.execute(
        text("UPDATE feedback_reports SET created_at = :at WHERE id = :id"),
        {"at": datetime.now(UTC) - timedelta(days=60), "id": first.id},
    )
    assert await province.scalar(_DRIFT) == 0
    assert await _hotspot_total(client, callers, IN_A, 12) == 1

    # Moved to another ward's place and unit: counted there, for its officers only.
    await move_report(province, third.id, IN_B, WARD_B)
    assert await province.scalar(_DRIFT) == 0
    assert await _hotspot_total(client, callers, IN_A, 12) == 0
    seen_b = await client.get(tile_path("hotspots", *IN_B, 12), headers=callers.officer_b.headers)
    assert sum(p["count"] for p in props(seen_b, "hotspots")) == 1
    seen_by_a = await client.get(tile_path("hotspots", *IN_B, 12), headers=callers.officer_a.headers)
    assert props(seen_by_a, "hotspots") == []

    await province.execute(text("DELETE FROM feedback_reports WHERE id = :id"), {"id": third.id})
    assert await province.scalar(_DRIFT) == 0
