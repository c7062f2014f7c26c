"""Duplicate search: open public reports of the same category nearby, nearest first, and the query plan that
keeps it fast on a large table."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.reports.status import ReportStatus
from feedback.submission.duplicates import degree_box, find_nearby_open
from feedback.submission.repository import NEARBY_QUERY
from tests.feedback.submission.helpers import assert_problem, fresh_categories
from tests.feedback.support import IN_WARD, insert_report
from tests.support.people import PersonFactory

__all__ = ["fresh_categories"]
NEARBY = "/api/v1/feedback/nearby"
LAT, LON = IN_WARD


def _east(metres: float) -> tuple[float, float]:
    """The point `metres` east of IN_WARD."""
    return LAT, LON + metres / (111_320 * math.cos(math.radians(LAT)))


def _query(category: str = "road_damage") -> dict[str, str | float]:
    return {"category_code": category, "lat": LAT, "lon": LON}


async def test_nearby_lists_open_public_reports_nearest_first(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    reporter = await person()
    # road_damage: 50 m and 14 days.
    far = await insert_report(catalogue, reporter=reporter, lat_lon=_east(40), description="Xa hơn")
    near = await insert_report(
        catalogue, reporter=reporter, lat_lon=_east(10), status=ReportStatus.IN_PROGRESS, anonymous=True
    )
    main = await insert_report(catalogue, lat_lon=_east(35))
    await insert_report(catalogue, lat_lon=_east(80))  # beyond the radius
    await insert_report(catalogue, lat_lon=_east(5), category_code="lighting")
    await insert_report(catalogue, lat_lon=_east(5), status=ReportStatus.RESOLVED)
    await insert_report(catalogue, lat_lon=_east(5), status=ReportStatus.REJECTED)
    await insert_report(catalogue, lat_lon=_east(5), is_public=False)
    await insert_report(catalogue, lat_lon=_east(5), merged_into_id=main.id)
    await insert_report(catalogue, lat_lon=_east(5), created_at=datetime.now(UTC) - timedelta(days=15))
    response = await client.get(NEARBY, params=_query())
    assert response.status_code == 200, response.text
    found = response.json()
    assert [item["id"] for item in found] == [str(near.id), str(main.id), str(far.id)]
    assert [round(item["distance_m"]) for item in found] == [10, 35, 40]
    assert found[0]["status"] == "in_progress"
    assert found[0]["code"] == near.code
    # A public summary: nothing about who filed it.
    assert not {"reporter_id", "reporter", "anonymous", "answers"} & set(found[0])
    assert found[2]["description"] == "Xa hơn"


async def test_nearby_uses_the_category_radius_and_window(
    client: httpx.AsyncClient, catalogue: AsyncSession
) -> None:
    # flooding: 200 m and 2 days.
    inside = await insert_report(
        catalogue,
        category_code="flooding",
        lat_lon=_east(150),
        created_at=datetime.now(UTC) - timedelta(days=1),
    )
    await insert_report(
        catalogue,
        category_code="flooding",
        lat_lon=_east(150),
        created_at=datetime.now(UTC) - timedelta(days=3),
    )
    await insert_report(catalogue, category_code="flooding", lat_lon=_east(250))
    found = (await client.get(NEARBY, params=_query("flooding"))).json()
    assert [item["id"] for item in found] == [str(inside.id)]


async def test_nearby_returns_at_most_ten(client: httpx.AsyncClient, catalogue: AsyncSession) -> None:
    for index in range(12):
        await insert_report(catalogue, lat_lon=_east(2 + index))
    found = (await client.get(NEARBY, params=_query())).json()
    assert len(found) == 10
    assert [item["distance_m"] for item in found] == sorted(item["distance_m"] for item in found)


async def test_nearby_refuses_unknown_categories_and_bad_points(
    client: httpx.AsyncClient, catalogue: AsyncSession
) -> None:
    assert_problem(await client.get(NEARBY, params=_query("no_such")), 422, "category_not_found")
    assert_problem(await client.get(NEARBY, params={**_query(), "lat": 95}), 422, "validation_error")
    assert_problem(await client.get(NEARBY, params={"lat": LAT, "lon": LON}), 422, "validation_error")


async def test_the_degree_box_contains_the_circle() -> None:
    for lat in (0.0, 20.43, 60.0, -45.0):
        dlon, dlat = degree_box(lat, 1000)
        assert dlat * 110_574 >= 1000
        # At the box's latitude nearest the pole a degree of longitude is shortest.
        assert dlon * 111_320 * math.cos(math.radians(abs(lat) + dlat)) >= 1000


async def test_the_query_can_use_the_partial_open_index(catalogue: AsyncSession) -> None:
    await insert_report(catalogue, lat_lon=_east(10))
    await catalogue.execute(text("SET LOCAL enable_seqscan = off"))
    # A generic plan, as a prepared statement gets after a few runs: the index predicate must still match.
    await catalogue.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))
    dlon, dlat = degree_box(LAT, 50)
    plan = "\n".join(
        (
            await catalogue.execute(
                text(f"EXPLAIN {NEARBY_QUERY.text}"),
                {
                    "lat": LAT,
                    "lon": LON,
                    "dlon": dlon,
                    "dlat": dlat,
                    "radius": 50.0,
                    "category_code": "road_damage",
                    "since": datetime.now(UTC) - timedelta(days=14),
                    "limit": 10,
                },
            )
        ).scalars()
    )
    assert "ix_feedback_reports_open_location" in plan, plan


async def test_find_nearby_open_directly(catalogue: AsyncSession) -> None:
    report = await insert_report(catalogue, lat_lon=_east(20))
    rows = await find_nearby_open(
        catalogue, "road_damage", LAT, LON, radius_m=50, since=datetime.now(UTC) - timedelta(days=1)
    )
    assert [(row.id, row.code, round(row.distance_m)) for row in rows] == [(report.id, report.code, 20)]
    assert (
        await find_nearby_open(
            catalogue, "road_damage", LAT, LON, radius_m=10, since=datetime.now(UTC) - timedelta(days=1)
        )
        == []
    )
