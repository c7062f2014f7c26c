"""Open311 POST requests: API keys (form field, query parameter or header), the form mapped onto a report,
and refusals in the spec's error format that change nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.identity import api_keys
from core.identity.principal import Role
from feedback.reports.models import IdempotencyKey, Report, TimelineEntry
from feedback.reports.status import ReportSource, ReportStatus
from tests.feedback.open311.helpers import as_json, as_xml, assert_error, assert_xml_error
from tests.feedback.support import IN_WARD, OUTSIDE, WARD
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")
URL = "/open311/v2/requests.json"
CONTACT = {
    "email": "dan@example.com",
    "first_name": "Trần",
    "last_name": "Thị Dân",
    "phone": "+84912345678",
    "account_id": "acct-42",
    "device_id": "device-7",
}


async def new_key(session: AsyncSession, person: PersonFactory, *scopes: str) -> str:
    admin = await person(Role.ADMIN)
    created = await api_keys.create_api_key(
        session, name="Cổng Open311", scopes=list(scopes), created_by=admin.id, now=datetime.now(UTC)
    )
    return created.key


@pytest.fixture
async def key(session: AsyncSession, person: PersonFactory) -> str:
    return await new_key(session, person, "open311:submit")


def form(**extra: Any) -> dict[str, Any]:
    return {
        "service_code": "road_damage",
        "lat": str(IN_WARD[0]),
        "long": str(IN_WARD[1]),
        "description": "Ổ gà sâu trước cổng chợ",
        "address_string": "Chợ Rồng",
        "attribute[size]": "medium",
        "attribute[lanes_blocked]": "2",
        "jurisdiction_id": "nam-dinh",
        **CONTACT,
        **extra,
    }


async def report_count(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Report)) or 0)


async def reports(session: AsyncSession) -> list[Report]:
    return list((await session.execute(select(Report))).scalars())


async def test_post_files_a_report_and_answers_as_the_spec_says(
    client: httpx.AsyncClient,
    session: AsyncSession,
    key: str,
) -> None:
    response = await client.post(URL, data=form(api_key=key, media_url="https://example.com/p.jpg"))
    body = as_json(response)

    assert len(body) == 1
    assert set(body[0]) == {"service_request_id", "token", "service_notice", "account_id"}
    created = body[0]
    assert created["account_id"] == "acct-42"
    [report] = await reports(session)
    assert created["service_request_id"] == report.code
    assert created["token"] == report.open311_token
    assert len(created["token"]) >= 20
    assert report.code in created["service_notice"]
    assert report.source == ReportSource.OPEN311
    assert report.reporter_id is None
    assert report.api_key_id is not None
    assert report.category_code == "road_damage"
    assert report.unit_code == WARD
    assert report.status == ReportStatus.SUBMITTED
    assert report.description == "Ổ gà sâu trước cổng chợ"
    assert report.address == "Chợ Rồng"
    assert report.answers == {"size": "medium", "lanes_blocked": 2}
    assert report.reporter_contact == {**CONTACT, "media_url": "https://example.com/p.jpg"}
    entry = (
        await session.execute(select(TimelineEntry).where(col(TimelineEntry.report_id) == report.id))
    ).scalar_one()
    assert entry.actor_role == "integration"

    # The token and the id lead back to it, and nobody reads the contact there.
    assert as_json(await client.get(f"/open311/v2/tokens/{created['token']}.json")) == [
        {"service_request_id": report.code, "token": created["token"]}
    ]
    public = await client.get(f"/open311/v2/requests/{report.code}.json")
    assert as_json(public)[0]["description"] == "Ổ gà sâu trước cổng chợ"
    for secret in CONTACT.values():
        assert secret not in public.text
    assert "Thị Dân" not in (await client.get("/open311/v2/requests.xml")).text


async def test_post_in_xml(client: httpx.AsyncClient, session: AsyncSession, key: str) -> None:
    root = as_xml(await client.post("/open311/v2/requests.xml", data=form(api_key=key)), "service_requests")

    assert [child.tag for child in root] == ["request"]
    assert [child.tag for child in root[0]] == ["service_request_id", "token", "service_notice", "account_id"]
    [report] = await reports(session)
    assert root[0].findtext("service_request_id") == report.code
    assert root[0].findtext("token") == report.open311_token


async def test_the_key_may_come_as_header_or_query_parameter(
    client: httpx.AsyncClient,
    session: AsyncSession,
    key: str,
) -> None:
    as_json(await client.post(URL, data=form(), headers={"X-API-Key": key}))
    as_json(await client.post(URL, data=form(), params={"api_key": key}))

    assert await report_count(session) == 2


async def test_without_a_good_key_it_is_403_and_nothing_is_filed(
    client: httpx.AsyncClient,
    session: AsyncSession,
    person: PersonFactory,
) -> None:
    other = await new_key(session, person, "dossiers:sync")

    assert_error(await client.post(URL, data=form()), 403)
    assert_error(await client.post(URL, data=form(api_key="sc_0000000_nonsense")), 403)
    assert_error(await client.post(URL, data=form(api_key=other)), 403, "open311:submit")
    assert_xml_error(await client.post("/open311/v2/requests.xml", data=form(api_key=other)), 403)
    assert await report_count(session) == 0


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"lat": None, "long": None, "address_string": "12 Trần Hưng Đạo"}, "lat"),
        ({"long": None, "address_id": "123"}, "lat"),
        ({"lat": "north"}, "lat"),
        ({"lat": "95"}, "lat"),
        ({"service_code": None}, "service_code"),
        ({"service_code": "potholes"}, "potholes"),
        ({"lat": str(OUTSIDE[0]), "long": str(OUTSIDE[1])}, ""),
        ({"attribute[size]": "huge"}, "size"),
        ({"attribute[size]": None}, "size"),
        ({"attribute[lanes_blocked]": "many"}, "lanes_blocked"),
        ({"description": "x" * 2001}, "description"),
        ({"media_url": "file:///etc/passwd"}, "media_url"),
        ({"description": "a\x00b"}, "NUL"),
    ],
)
async def test_bad_input_is_400_in_the_spec_format_and_changes_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    key: str,
    changes: dict[str, str | None],
    fragment: str,
) -> None:
    data = {name: value for name, value in (form(api_key=key) | changes).items() if value is not None}

    description = assert_error(
        await client.post(URL, data=data, headers={"accept-language": "en"}), 400, fragment
    )

    assert description
    assert_xml_error(await client.post("/open311/v2/requests.xml", data=data), 400)
    assert await report_count(session) == 0


async def test_list_and_number_attributes_become_typed_answers(
    client: httpx.AsyncClient,
    session: AsyncSession,
    key: str,
) -> None:
    waste: dict[str, Any] = {
        "service_code": "waste",
        "lat": str(IN_WARD[0]),
        "long": str(IN_WARD[1]),
        # A list is sent as two fields of the same name.
        "description": "Rác đổ trộm",
        "api_key": key,
        "attribute[waste_type][]": ["household", "bulky"],
    }
    flooding = {
        "service_code": "flooding",
        "lat": str(IN_WARD[0]),
        "long": str(IN_WARD[1]),
        "description": "Ngập sâu",
        "api_key": key,
        "attribute[water_depth_cm]": "35.5",
    }

    waste_code = as_json(await client.post(URL, data=waste))
    flood_code = as_json(await client.post(URL, data=flooding))

    by_code = {report.code: report for report in await reports(session)}
    assert by_code[waste_code[0]["service_request_id"]].answers == {"waste_type": ["household", "bulky"]}
    assert by_code[flood_code[0]["service_request_id"]].answers == {"water_depth_cm": 35.5}


async def test_a_single_value_for_a_list_attribute_is_a_list_of_one(
    client: httpx.AsyncClient,
    session: AsyncSession,
    key: str,
) -> None:
    data = form(api_key=key, service_code="waste", **{"attribute[waste_type]": "hazardous"})
    del data["attribute[size]"], data["attribute[lanes_blocked]"]

    as_json(await client.post(URL, data=data))

    [report] = await reports(session)
    assert report.answers == {"waste_type": ["hazardous"]}


async def test_idempotency_key_replays_and_refuses_another_body(
    client: httpx.AsyncClient,
    session: AsyncSession,
    key: str,
) -> None:
    headers = {"Idempotency-Key": "order-1", "X-API-Key": key}

    first = as_json(await client.post(URL, data=form(), headers=headers))
    again = as_json(await client.post(URL, data=form(), headers=headers))
    refused = await client.post(URL, data=form(description="Khác hẳn"), headers=headers)

    assert again == first
    assert_error(refused, 400)
    assert await report_count(session) == 1
    owner = (await session.execute(select(IdempotencyKey))).scalar_one().owner
    assert owner.startswith("api_key:")


async def test_a_path_without_an_open311_format_gets_the_apps_own_refusal(
    client: httpx.AsyncClient,
    session: AsyncSession,
) -> None:
    # Like every guarded route of the application: 401 problem+json, as there is no format to answer in.
    response = await client.post("/open311/v2/requests.csv", data=form())

    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "api_key_invalid"
    assert await report_count(session) == 0


async def test_attributes_the_service_does_not_define_are_ignored(
    client: httpx.AsyncClient,
    session: AsyncSession,
    key: str,
) -> None:
    # FixMyStreet adds attributes of its own to every request.
    data = form(api_key=key) | {"attribute[fixmystreet_id]": "4242", "attribute[title]": "Ổ gà"}

    answer = await client.post(URL, data=data)

    assert answer.status_code == 200, answer.text
    assert await report_count(session) == 1
    stored = await session.scalar(text("SELECT answers FROM feedback_reports"))
    assert stored is not None
    assert set(stored) == {"size", "lanes_blocked"}
