"""GET /api/v1/feedback/public: public, not merged reports in a box or near a point, never who filed them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.reports.status import ReportStatus
from tests.feedback.support import IN_OTHER_WARD, IN_WARD, OTHER_WARD, OUTSIDE, insert_report
from tests.support.people import Person, PersonFactory

URL = "/api/v1/feedback/public"
CITY = "106.09,20.37,106.25,20.50"
T0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def assert_no_identity(text: str, reporter: Person, answers_value: str | None = None) -> None:
    for secret in (str(reporter.id), reporter.id.hex, reporter.user.display_name, reporter.user.phone):
        assert secret
        assert secret not in text
    for field in ("reporter", "answers", "phone", "reporter_id", "display_name", "anonymous"):
        assert f'"{field}"' not in text
    if answers_value is not None:
        assert answers_value not in text


async def test_feed_excludes_private_and_merged_and_hides_reporter(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person(display_name="Trần Thị Bí Mật")
    shown = await insert_report(catalogue, reporter=citizen, created_at=T0, answers={"size": "xyzzy-secret"})
    anonymous = await insert_report(catalogue, reporter=citizen, created_at=T0 + timedelta(1), anonymous=True)
    await insert_report(catalogue, reporter=citizen, created_at=T0 + timedelta(2), is_public=False)
    await insert_report(
        catalogue,
        reporter=citizen,
        created_at=T0 + timedelta(3),
        merged_into_id=shown.id,
        status=ReportStatus.CLOSED,
    )
    await insert_report(catalogue, reporter=citizen, lat_lon=OUTSIDE, created_at=T0)
    answer = await client.get(URL, params={"bbox": CITY})
    assert answer.status_code == 200, answer.text
    assert [item["code"] for item in answer.json()["items"]] == [anonymous.code, shown.code]
    # Anonymous reports look like the others.
    assert set(answer.json()["items"][0]) == set(answer.json()["items"][1])
    assert_no_identity(answer.text, citizen, "xyzzy-secret")


async def test_near_a_point_within_radius(client: httpx.AsyncClient, catalogue: AsyncSession) -> None:
    near = await insert_report(catalogue, created_at=T0)
    far = await insert_report(
        catalogue,
        lat_lon=IN_OTHER_WARD,
        ward_code=OTHER_WARD,
        unit_code=OTHER_WARD,
        created_at=T0 + timedelta(1),
    )
    lat, lon = IN_WARD
    small = await client.get(URL, params={"lat": lat, "lon": lon, "radius_m": 500})
    assert [item["code"] for item in small.json()["items"]] == [near.code]
    # About 2.3 km apart: a 5 km circle holds both, newest first.
    large = await client.get(URL, params={"lat": lat, "lon": lon, "radius_m": 5000})
    assert [item["code"] for item in large.json()["items"]] == [far.code, near.code]


async def test_filters_and_paging(client: httpx.AsyncClient, catalogue: AsyncSession) -> None:
    codes = {}
    for index, (category, status) in enumerate(
        [
            ("road_damage", ReportStatus.SUBMITTED),
            ("lighting", ReportStatus.SUBMITTED),
            ("road_damage", ReportStatus.RESOLVED),
            ("waste", ReportStatus.IN_PROGRESS),
            ("road_damage", ReportStatus.IN_PROGRESS),
        ]
    ):
        report = await insert_report(
            catalogue, category_code=category, status=status, created_at=T0 + timedelta(minutes=index)
        )
        codes[index] = report.code
    answer = await client.get(
        URL,
        params=[
            ("bbox", CITY),
            ("category_code", "road_damage"),
            ("status", "submitted"),
            ("status", "in_progress"),
        ],
    )
    assert [item["code"] for item in answer.json()["items"]] == [codes[4], codes[0]]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"bbox": CITY, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get(URL, params=params)).json()
        seen += [item["code"] for item in body["items"]]
        if not (cursor := body["next_cursor"]):
            break
    assert seen == [codes[i] for i in (4, 3, 2, 1, 0)]


async def test_bad_areas_are_422(client: httpx.AsyncClient, catalogue: AsyncSession) -> None:
    await insert_report(catalogue)
    bad_areas: list[dict[str, str | float]] = [
        {"bbox": "106.2,20.4,106.1,20.5"},
        {"bbox": "106.1,20.4,106.2"},
        {"bbox": "a,b,c,d"},
        {"bbox": "106.1,20.4,190,20.5"},
        {"bbox": "106.1,20.4,nan,20.5"},
        {},
        {"lat": 20.4},
        {"lat": 20.4, "lon": 106.1, "radius_m": 20001},
        {"bbox": CITY, "lat": 20.4, "lon": 106.1},
    ]
    for params in bad_areas:
        answer = await client.get(URL, params=params)
        assert answer.status_code == 422, params
        assert answer.json()["code"] == "validation_error"
    answer = await client.get(URL, params={"bbox": "104.0,20.0,106.0,21.0"})
    assert answer.status_code == 422
    assert answer.json()["code"] == "area_too_large"
    assert answer.json()["errors"][0]["location"] == ["query", "bbox"]
