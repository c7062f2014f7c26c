"""GET /api/v1/feedback/public/map: the map layer as GeoJSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.reports.status import ReportStatus
from tests.feedback.listing.test_public_feed import assert_no_identity
from tests.feedback.support import IN_OTHER_WARD, OTHER_WARD, OUTSIDE, insert_report
from tests.support.people import PersonFactory

URL = "/api/v1/feedback/public/map"
CITY = "106.09,20.37,106.25,20.50"
T0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


async def test_geojson_features_newest_first_without_identity(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    older = await insert_report(catalogue, reporter=citizen, created_at=T0, answers={"size": "xyzzy-secret"})
    newer = await insert_report(
        catalogue,
        reporter=citizen,
        lat_lon=IN_OTHER_WARD,
        ward_code=OTHER_WARD,
        unit_code=OTHER_WARD,
        created_at=T0 + timedelta(1),
        urgent=True,
        status=ReportStatus.ACCEPTED,
        support_count=4,
        anonymous=True,
    )
    await insert_report(catalogue, reporter=citizen, created_at=T0, is_public=False)
    await insert_report(catalogue, reporter=citizen, created_at=T0, merged_into_id=older.id)
    await insert_report(catalogue, reporter=citizen, lat_lon=OUTSIDE, created_at=T0)
    answer = await client.get(URL, params={"bbox": CITY})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/geo+json")
    body = answer.json()
    assert body["type"] == "FeatureCollection"
    assert body["next_cursor"] is None
    assert [f["properties"]["code"] for f in body["features"]] == [newer.code, older.code]
    feature = body["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [IN_OTHER_WARD[1], IN_OTHER_WARD[0]]}
    assert feature["properties"] == {
        "id": str(newer.id),
        "code": newer.code,
        "category_code": "road_damage",
        "status": "accepted",
        "urgent": True,
        "support_count": 4,
        "created_at": "2026-11-02T03:00:00Z",
    }
    assert_no_identity(answer.text, citizen, "xyzzy-secret")
    plain = await client.get(URL, params={"bbox": CITY}, headers={"accept": "application/json"})
    assert plain.headers["content-type"].startswith("application/json")
    assert plain.json() == body


async def test_paging_filters_and_small_box(client: httpx.AsyncClient, catalogue: AsyncSession) -> None:
    made = [
        await insert_report(
            catalogue, created_at=T0 + timedelta(minutes=i), category_code="lighting" if i % 2 else "waste"
        )
        for i in range(7)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"bbox": CITY, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get(URL, params=params)).json()
        seen += [f["properties"]["code"] for f in body["features"]]
        if not (cursor := body["next_cursor"]):
            break
    assert seen == [r.code for r in reversed(made)]
    lighting = await client.get(URL, params={"bbox": CITY, "category_code": "lighting"})
    assert [f["properties"]["code"] for f in lighting.json()["features"]] == [
        made[5].code,
        made[3].code,
        made[1].code,
    ]
    empty = await client.get(URL, params={"bbox": "106.0,20.0,106.01,20.01"})
    assert empty.json()["features"] == []


async def test_bad_box_is_422(client: httpx.AsyncClient, catalogue: AsyncSession) -> None:
    assert (await client.get(URL)).status_code == 422
    too_large = await client.get(URL, params={"bbox": "105.0,20.0,106.6,20.5"})
    assert too_large.status_code == 422
    assert too_large.json()["code"] == "area_too_large"
    assert (await client.get(URL, params={"bbox": CITY, "limit": 1001})).status_code == 422
    cursor = await client.get(URL, params={"bbox": CITY, "cursor": "bm9wZQ"})
    assert cursor.status_code == 400
    assert cursor.json()["code"] == "invalid_cursor"
