"""Open311 GET requests, GET requests/{id} and GET tokens/{token}, in JSON and XML."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.reports.status import ReportStatus
from tests.feedback.open311.helpers import (
    REQUEST_FIELDS,
    add_photo,
    as_json,
    as_xml,
    assert_error,
    assert_xml_error,
)
from tests.feedback.support import insert_report
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")
NOW = datetime.now(UTC)


def codes(body: Any) -> list[str]:
    return [item["service_request_id"] for item in body]


async def test_list_in_json_has_the_spec_fields_and_only_public_reports(
    client: httpx.AsyncClient,
    session: AsyncSession,
    person: PersonFactory,
) -> None:
    reporter = await person(display_name="Nguyễn Văn Bí Mật")
    public = await insert_report(
        session,
        reporter=reporter,
        created_at=NOW - timedelta(hours=2),
        address="12 Trần Hưng Đạo",
        reporter_contact={"email": "secret@example.com", "phone": "+84911111111"},
        status_notes="Đã tiếp nhận",
    )
    key = await add_photo(session, public)
    await add_photo(session, public, kind="proof")
    await insert_report(session, reporter=reporter, created_at=NOW - timedelta(hours=1), is_public=False)

    response = await client.get("/open311/v2/requests.json")
    body = as_json(response)

    assert codes(body) == [public.code]
    item = body[0]
    assert set(item) <= set(REQUEST_FIELDS)
    assert item["service_request_id"] == public.code
    assert item["status"] == "open"
    assert item["status_notes"] == "Đã tiếp nhận"
    assert item["service_code"] == "road_damage"
    assert item["service_name"]
    assert item["agency_responsible"]
    assert item["address"] == "12 Trần Hưng Đạo"
    assert item["lat"] == pytest.approx(20.43)
    assert item["long"] == pytest.approx(106.175)
    # Public reports only: signed for ever.
    assert item["media_url"].startswith(f"http://testserver/media/{key}?exp=0&sig=")
    assert datetime.fromisoformat(item["requested_datetime"]) == public.created_at
    assert datetime.fromisoformat(item["expected_datetime"]) == public.resolve_due_at
    secrets = ("Bí Mật", "secret@example.com", "+84911111111", str(reporter.user.phone), str(reporter.id))
    for secret in secrets:
        assert secret not in response.text


async def test_list_in_xml_uses_the_spec_element_names(
    client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    report = await insert_report(session, created_at=NOW - timedelta(hours=1), address="Số 1")

    root = as_xml(await client.get("/open311/v2/requests.xml"), "service_requests")

    assert [child.tag for child in root] == ["request"]
    request = root[0]
    tags = [child.tag for child in request]
    assert set(tags) <= set(REQUEST_FIELDS)
    assert {
        "service_request_id",
        "status",
        "service_code",
        "service_name",
        "description",
        "requested_datetime",
        "updated_datetime",
        "lat",
        "long",
    } <= set(tags)
    assert request.findtext("service_request_id") == report.code
    assert request.findtext("status") == "open"
    assert request.findtext("long") == "106.175"


async def test_filters_by_status_service_and_dates(client: httpx.AsyncClient, session: AsyncSession) -> None:
    road = await insert_report(session, created_at=NOW - timedelta(days=1))
    light = await insert_report(
        session, category_code="lighting", created_at=NOW - timedelta(days=2), status=ReportStatus.RESOLVED
    )
    closed = await insert_report(session, created_at=NOW - timedelta(days=3), status=ReportStatus.REJECTED)
    old = await insert_report(session, created_at=NOW - timedelta(days=100))

    async def listed(**params: str) -> list[str]:
        return codes(as_json(await client.get("/open311/v2/requests.json", params=params)))

    # The default window is the last 90 days, newest first.
    assert await listed() == [road.code, light.code, closed.code]
    assert await listed(status="open") == [road.code]
    assert await listed(status="closed") == [light.code, closed.code]
    assert await listed(status="open,closed") == [road.code, light.code, closed.code]
    assert await listed(service_code="lighting,waste") == [light.code]
    assert await listed(service_code="No Such Code") == []
    start = (NOW - timedelta(days=2, hours=12)).isoformat()
    assert await listed(start_date=start) == [road.code, light.code]
    assert await listed(
        start_date=(NOW - timedelta(days=101)).isoformat(), end_date=(NOW - timedelta(days=50)).isoformat()
    ) == [old.code]
    assert await listed(end_date=(NOW - timedelta(days=2, hours=12)).isoformat()) == [closed.code]
    # A start alone runs 90 days at most.
    assert await listed(start_date=(NOW - timedelta(days=120)).isoformat()) == [old.code]
    assert await listed(start_date=(NOW - timedelta(days=120)).date().isoformat()) == [old.code]


async def test_ids_override_the_other_filters(client: httpx.AsyncClient, session: AsyncSession) -> None:
    old = await insert_report(session, created_at=NOW - timedelta(days=300), status=ReportStatus.CLOSED)
    recent = await insert_report(session, created_at=NOW - timedelta(days=1))
    private = await insert_report(session, created_at=NOW - timedelta(days=1), is_public=False)

    body = as_json(
        await client.get(
            "/open311/v2/requests.json",
            params={
                "service_request_id": f"{old.code}, {recent.code},{private.code},nonsense",
                "status": "open",
                "service_code": "waste",
                "start_date": "garbage",
            },
        )
    )

    assert codes(body) == [recent.code, old.code]
    assert body[1]["status"] == "closed"


async def test_paging(client: httpx.AsyncClient, session: AsyncSession) -> None:
    reports = [await insert_report(session, created_at=NOW - timedelta(hours=hours)) for hours in (1, 2, 3)]

    async def page(number: int) -> list[str]:
        return codes(
            as_json(
                await client.get("/open311/v2/requests.json", params={"page": str(number), "page_size": "2"})
            )
        )

    assert await page(1) == [reports[0].code, reports[1].code]
    assert await page(2) == [reports[2].code]
    assert await page(3) == []


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"page": "0"}, "page"),
        ({"page": "x"}, "page"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "1001"}, "page_size"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-11-20T08:00:00"}, "end_date"),  # no time zone
        ({"status": "pending"}, "pending"),
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90"),
        ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "start_date"),
    ],
)
async def test_bad_parameters_are_400_in_the_spec_format(
    client: httpx.AsyncClient,
    params: dict[str, str],
    fragment: str,
) -> None:
    response = await client.get("/open311/v2/requests.json", params=params, headers={"accept-language": "en"})
    assert_error(response, 400, fragment)
    assert_xml_error(await client.get("/open311/v2/requests.xml", params=params), 400)


async def test_one_request_in_json_and_xml(client: httpx.AsyncClient, session: AsyncSession) -> None:
    report = await insert_report(
        session, created_at=NOW - timedelta(days=200), status=ReportStatus.RESOLVED, resolution="Đã vá ổ gà"
    )

    body = as_json(await client.get(f"/open311/v2/requests/{report.code}.json"))
    root = as_xml(await client.get(f"/open311/v2/requests/{report.code}.xml"), "service_requests")

    assert codes(body) == [report.code]
    assert body[0]["status"] == "closed"
    assert body[0]["status_notes"] == "Đã vá ổ gà"
    assert "media_url" not in body[0]
    assert [child.tag for child in root] == ["request"]
    assert root[0].findtext("service_request_id") == report.code


async def test_unknown_or_private_request_is_404(client: httpx.AsyncClient, session: AsyncSession) -> None:
    private = await insert_report(session, is_public=False)

    assert_error(await client.get(f"/open311/v2/requests/{private.code}.json"), 404, private.code)
    assert_error(await client.get("/open311/v2/requests/PA-2026-999999.json"), 404)
    assert_error(await client.get("/open311/v2/requests/anything.json"), 404)
    assert_xml_error(await client.get(f"/open311/v2/requests/{private.code}.xml"), 404, private.code)
    assert_error(await client.get(f"/open311/v2/requests/{private.code}.html"), 404, "json")


async def test_token_names_its_request(client: httpx.AsyncClient, session: AsyncSession) -> None:
    report = await insert_report(session, open311_token="tok-abc_123")

    body = as_json(await client.get("/open311/v2/tokens/tok-abc_123.json"))
    root = as_xml(await client.get("/open311/v2/tokens/tok-abc_123.xml"), "service_requests")

    assert body == [{"service_request_id": report.code, "token": "tok-abc_123"}]
    assert [child.tag for child in root] == ["request"]
    assert [child.tag for child in root[0]] == ["service_request_id", "token"]
    assert root[0].findtext("service_request_id") == report.code


async def test_unknown_token_is_404(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/open311/v2/tokens/nope.json"), 404)
    assert_xml_error(await client.get("/open311/v2/tokens/nope.xml"), 404)


async def test_merged_reports_are_left_out_of_lists_but_readable(
    client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    kept = await insert_report(session, created_at=NOW - timedelta(hours=2))
    merged = await insert_report(
        session, created_at=NOW - timedelta(hours=1), status=ReportStatus.CLOSED, merged_into_id=kept.id
    )

    assert codes(as_json(await client.get("/open311/v2/requests.json"))) == [kept.code]
    assert codes(as_json(await client.get(f"/open311/v2/requests/{merged.code}.json"))) == [merged.code]
