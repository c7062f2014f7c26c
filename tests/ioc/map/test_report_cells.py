"""The open reports' cells: kept by the statement triggers through inserts, status changes, merges, moves and
deletes, and read by the reports layer's clusters."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.reports.status import ReportStatus
from ioc.map.layers import LAYERS, LayerId
from ioc.map.models import REPORT_CELL_LEVEL
from tests.feedback.support import insert_report
from tests.ioc.map.conftest import IN_A, IN_A_NEAR, IN_B, WARD_B, Callers, move_report, tile_path
from tests.ioc.map.conftest import properties as props

# What the cells must say: the open, unmerged reports counted directly.
_DRIFT = text("""
SELECT count(*) FROM (
    SELECT unit_code, is_public, count(*) AS n FROM feedback_reports
    WHERE status IN ('submitted', 'accepted', 'assigned', 'in_progress') AND merged_into_id IS NULL
    GROUP BY 1, 2
) AS direct
FULL JOIN (
    SELECT unit_code, is_public, sum(n) AS n FROM map_report_cells GROUP BY 1, 2 HAVING sum(n) <> 0
) AS cells USING (unit_code, is_public)
WHERE direct.n IS DISTINCT FROM cells.n
""")


def test_cells_are_the_clusters_of_zoom_14() -> None:
    single_from = LAYERS[LayerId.REPORTS].single_from
    assert single_from is not None
    assert single_from - 1 + 3 == REPORT_CELL_LEVEL


async def test_cells_follow_every_change(
    client: httpx.AsyncClient, callers: Callers, province: AsyncSession
) -> None:
    lat_lon = (IN_A[1], IN_A[0])
    first = await insert_report(province, lat_lon=lat_lon)
    second = await insert_report(province, lat_lon=(IN_A_NEAR[1], IN_A_NEAR[0]))
    third = await insert_report(province, lat_lon=lat_lon, is_public=False)
    path = tile_path("reports", *IN_A, 10)

    async def counts() -> tuple[int, int]:
        staff = sum(
            p["count"] for p in props(await client.get(path, headers=callers.admin.headers), "reports")
        )
        public = sum(p["count"] for p in props(await client.get(path), "reports"))
        return staff, public

    assert await counts() == (3, 2)
    assert await province.scalar(_DRIFT) == 0
    await province.execute(
        text("UPDATE feedback_reports SET status = 'closed' WHERE id = :id"), {"id": first.id}
    )
    assert await counts() == (2, 1)
    await province.execute(
        text("UPDATE feedback_reports SET merged_into_id = :into WHERE id = :id"),
        {"into": third.id, "id": second.id},
    )
    assert await counts() == (1, 0)
    # A cluster of one is that report, with its properties.
    [only] = props(await client.get(path, headers=callers.admin.headers), "reports")
    assert only["count"] == 1
    assert only["id"] == str(third.id)
    assert only["status"] == "submitted"
    # Moved to another ward's place and unit, then deleted.
    await move_report(province, third.id, IN_B, WARD_B)
    assert await province.scalar(_DRIFT) == 0
    seen_b = props(
        await client.get(tile_path("reports", *IN_B, 14), headers=callers.officer_b.headers), "reports"
    )
    assert [p.get("id") for p in seen_b] == [str(third.id)]
    assert (
        props(await client.get(tile_path("reports", *IN_B, 14), headers=callers.officer_a.headers), "reports")
        == []
    )
    await province.execute(text("UPDATE feedback_reports SET merged_into_id = NULL"))
    await province.execute(text("DELETE FROM feedback_reports WHERE id = :id"), {"id": first.id})
    assert await province.scalar(_DRIFT) == 0
    await insert_report(province, lat_lon=lat_lon, status=ReportStatus.IN_PROGRESS)
    assert await province.scalar(_DRIFT) == 0
