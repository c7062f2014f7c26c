"""Creating, reading and listing alert rules, and who may do it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from ioc.rules.schemas import EXAMPLES, RuleCreate
from tests.ioc.rules.rules_api import URL, count_rules, create, flood, with_catalogue
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("units")


@pytest.mark.parametrize(
    "example", EXAMPLES, ids=[example["kind"] + ":" + example["alarm_type"] for example in EXAMPLES]
)
async def test_each_documented_example_is_created_at_version_1(
    client: AsyncClient, session: AsyncSession, person: PersonFactory, example: dict[str, Any]
) -> None:
    await with_catalogue(session)
    admin = await person(Role.ADMIN)
    response = await client.post(URL, json={"definition": example, "note": "Lần đầu"}, headers=admin.headers)
    assert response.status_code == 201, response.text
    rule = response.json()
    assert rule["kind"] == example["kind"]
    assert rule["enabled"] is True
    assert rule["current_version"] == 1
    assert rule["created_by"] == str(admin.id)
    assert rule["created_at"] == rule["updated_at"]
    # The definition comes back as validated: what was sent, with the defaults filled in.
    assert rule["definition"]["name"] == example["name"]
    assert rule["definition"]["severities"][0]["severity"] == example["severities"][0]["severity"]
    assert response.headers["etag"] == '"v1"'
    assert response.headers["location"] == f"{URL}/{rule['id']}"
    read = await client.get(f"{URL}/{rule['id']}", headers=admin.headers)
    assert read.status_code == 200
    assert read.json() == rule
    assert read.headers["etag"] == '"v1"'


async def test_the_documented_examples_are_the_schemas_examples(client: AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    examples = document["components"]["schemas"]["RuleCreate"]["examples"]
    assert [example["definition"]["kind"] for example in examples] == [
        "telemetry",
        "telemetry",
        "camera",
        "silence",
        "report_surge",
    ]
    for example in examples:
        RuleCreate.model_validate(example)


async def test_the_version_stores_the_definition_and_copies_its_scope(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    zone = {
        "type": "Polygon",
        "coordinates": [
            [[106.16, 20.42], [106.18, 20.42], [106.18, 20.44], [106.16, 20.44], [106.16, 20.42]]
        ],
    }
    definition = flood(scope={"unit_codes": ["13666", "37"], "device_types": ["water_level"], "zone": zone})
    rule = await create(client, admin.headers, definition, note="Theo quy định")
    row = (
        await session.execute(
            text(
                "SELECT definition, name, alarm_type, unit_codes, device_types, ST_AsText(zone) AS zone, "
                "ST_SRID(zone) AS srid, created_by, note FROM alert_rule_versions "
                "WHERE rule_id = :id AND version = 1"
            ),
            {"id": rule["id"]},
        )
    ).one()
    assert row.definition == rule["definition"]
    assert row.definition["condition"] == {"metric": "level_cm", "op": ">", "value": 30.0}
    assert (row.name, row.alarm_type) == (definition["name"], "flood")
    assert row.unit_codes == ["13666", "37"]
    assert row.device_types == ["water_level"]
    assert row.zone == "POLYGON((106.16 20.42,106.18 20.42,106.18 20.44,106.16 20.44,106.16 20.42))"
    assert row.srid == 4326
    assert (row.created_by, row.note) == (admin.id, "Theo quy định")


async def test_a_rule_can_be_created_disabled(client: AsyncClient, person: PersonFactory) -> None:
    admin = await person(Role.ADMIN)
    rule = await create(client, admin.headers, enabled=False)
    assert rule["enabled"] is False


@pytest.mark.parametrize("role", [Role.OFFICER, Role.FIELD_STAFF, Role.CITIZEN, None])
async def test_only_admins_write_or_read_rules(
    client: AsyncClient, session: AsyncSession, person: PersonFactory, role: Role | None
) -> None:
    admin = await person(Role.ADMIN)
    rule = await create(client, admin.headers)
    headers = {} if role is None else (await person(role, None if role is Role.CITIZEN else "37")).headers
    expected = 401 if role is None else 403
    calls = [
        client.post(URL, json={"definition": flood()}, headers=headers),
        client.get(URL, headers=headers),
        client.get(f"{URL}/{rule['id']}", headers=headers),
        client.put(f"{URL}/{rule['id']}", json={"definition": flood()}, headers=headers),
        client.post(f"{URL}/{rule['id']}/disable", headers=headers),
        client.delete(f"{URL}/{rule['id']}", headers=headers),
        client.get(f"{URL}/{rule['id']}/versions", headers=headers),
        client.get(f"{URL}/{rule['id']}/versions/1", headers=headers),
    ]
    for call in calls:
        response = await call
        assert response.status_code == expected, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await count_rules(session) == (1, 1)
    still = (await client.get(f"{URL}/{rule['id']}", headers=admin.headers)).json()
    assert still == rule


async def test_an_unknown_rule_is_404(client: AsyncClient, person: PersonFactory) -> None:
    admin = await person(Role.ADMIN)
    missing = uuid.uuid4()
    for response in (
        await client.get(f"{URL}/{missing}", headers=admin.headers),
        await client.put(f"{URL}/{missing}", json={"definition": flood()}, headers=admin.headers),
        await client.post(f"{URL}/{missing}/enable", headers=admin.headers),
        await client.delete(f"{URL}/{missing}", headers=admin.headers),
        await client.get(f"{URL}/{missing}/versions", headers=admin.headers),
        await client.get(f"{URL}/{missing}/versions/1", headers=admin.headers),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "rule_not_found"


async def _ids(client: AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get(URL, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_the_list_is_newest_first_in_cursor_pages(client: AsyncClient, person: PersonFactory) -> None:
    admin = await person(Role.ADMIN)
    made = [(await create(client, admin.headers, flood(name=f"Ngập {n}")))["id"] for n in range(5)]
    first = await client.get(URL, params={"limit": 2}, headers=admin.headers)
    page = first.json()
    assert [item["id"] for item in page["items"]] == made[::-1][:2]
    seen = [item["id"] for item in page["items"]]
    while page["next_cursor"] is not None:
        following = await client.get(
            URL, params={"limit": 2, "cursor": page["next_cursor"]}, headers=admin.headers
        )
        page = following.json()
        seen += [item["id"] for item in page["items"]]
    assert seen == made[::-1]
    created = [datetime.fromisoformat(item["created_at"]) for item in first.json()["items"]]
    assert created == sorted(created, reverse=True)


async def test_a_cursor_of_another_list_is_refused(client: AsyncClient, person: PersonFactory) -> None:
    admin = await person(Role.ADMIN)
    rule = await create(client, admin.headers)
    await client.put(f"{URL}/{rule['id']}", json={"definition": flood()}, headers=admin.headers)
    versions = await client.get(f"{URL}/{rule['id']}/versions", params={"limit": 1}, headers=admin.headers)
    cursor = versions.json()["next_cursor"]
    assert cursor is not None
    refused = await client.get(URL, params={"cursor": cursor}, headers=admin.headers)
    assert refused.status_code == 400
    assert refused.json()["code"] == "invalid_cursor"
    garbage = await client.get(URL, params={"cursor": "not-a-cursor"}, headers=admin.headers)
    assert garbage.status_code == 400


async def test_the_list_filters_by_kind_enabled_alarm_type_and_unit(
    client: AsyncClient, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    everywhere = (await create(client, admin.headers))["id"]
    ward = (await create(client, admin.headers, flood(scope={"unit_codes": ["13666"]})))["id"]
    province = (await create(client, admin.headers, flood(scope={"unit_codes": ["37"]}), enabled=False))["id"]
    other_ward = (await create(client, admin.headers, flood(scope={"unit_codes": ["13684"]})))["id"]
    camera = (
        await create(
            client,
            admin.headers,
            {
                "kind": "camera",
                "name": "Tai nạn / Accident",
                "alarm_type": "accident",
                "detection_types": ["accident"],
                "min_confidence": 0.7,
                "severities": [{"severity": "major"}],
            },
        )
    )["id"]
    assert await _ids(client, admin.headers, kind="camera") == [camera]
    assert await _ids(client, admin.headers, kind="telemetry") == [other_ward, province, ward, everywhere]
    assert await _ids(client, admin.headers, enabled="false") == [province]
    assert await _ids(client, admin.headers, alarm_type="accident") == [camera]
    # A ward's rules: those naming it or its province, and those naming no unit.
    assert await _ids(client, admin.headers, unit_code="13666") == [camera, province, ward, everywhere]
    assert await _ids(client, admin.headers, unit_code="37") == [camera, province, everywhere]
    assert await _ids(client, admin.headers, unit_code="13684", kind="telemetry", enabled="true") == [
        other_ward,
        everywhere,
    ]


@pytest.mark.parametrize(
    "params",
    [{"kind": "weather"}, {"unit_code": "1366"}, {"alarm_type": "Flood!"}, {"limit": 0}, {"limit": 201}],
)
async def test_bad_list_parameters_are_422(
    client: AsyncClient, person: PersonFactory, params: dict[str, Any]
) -> None:
    admin = await person(Role.ADMIN)
    response = await client.get(URL, params=params, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"][0] == "query"
