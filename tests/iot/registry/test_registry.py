"""Registering, reading, changing and decommissioning devices, and who may do it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from api.openapi import ValidationProblem
from core.identity.principal import Role
from iot.registry.models import Device
from tests.iot.support import IN_OTHER_WARD, OTHER_WARD, OUTSIDE, WARD, body, count_devices, point
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("units")


async def _create(client: AsyncClient, headers: dict[str, str], **fields: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/devices", json=body(**fields), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    # The MQTT credentials come only in this answer (tests/iot/registry/test_credentials.py); the rest is
    # the device.
    assert created.pop("mqtt")["username"] == created["id"]
    return created


async def test_admin_registers_a_device_in_the_ward_of_its_point(
    client: AsyncClient, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    device = await _create(client, admin.headers)
    assert device["ward_code"] == WARD
    assert device["province_code"] == "37"
    assert device["status"] == "active"
    assert device["type"] == "air_quality"
    assert device["metadata"] == {"model": "AQ-200"}
    assert device["decommissioned_at"] is None
    read = await client.get(f"/api/v1/devices/{device['id']}", headers=admin.headers)
    assert read.status_code == 200
    assert read.json() == device


async def test_outside_the_province_is_refused_and_nothing_is_stored(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    response = await client.post("/api/v1/devices", json=body(location=point(OUTSIDE)), headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["code"] == "outside_province"
    # Every 422 is the documented ValidationProblem: its `errors` names the request part.
    problem = ValidationProblem.model_validate(response.json())
    assert [(item.location, item.type) for item in problem.errors] == [(["body"], "outside_province")]
    assert await count_devices(session) == 0


@pytest.mark.parametrize(
    "fields",
    [
        {"type": "toaster"},
        {"name": ""},
        {"name": "x" * 201},
        {"metadata": ["not", "an", "object"]},
        {"metadata": {"blob": "x" * 9000}},
        {"location": {"lat": 95, "lon": 106}},
        {"status": "decommissioned"},
    ],
)
async def test_bad_registrations_are_refused_and_nothing_is_stored(
    client: AsyncClient, session: AsyncSession, person: PersonFactory, fields: dict[str, Any]
) -> None:
    admin = await person(Role.ADMIN)
    response = await client.post("/api/v1/devices", json=body(**fields), headers=admin.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await count_devices(session) == 0


@pytest.mark.parametrize("role", [Role.CITIZEN, Role.OFFICER, Role.FIELD_STAFF])
async def test_only_admins_register(
    client: AsyncClient, session: AsyncSession, person: PersonFactory, role: Role
) -> None:
    someone = await person(role, None if role is Role.CITIZEN else WARD)
    response = await client.post("/api/v1/devices", json=body(), headers=someone.headers)
    assert response.status_code == 403
    assert await count_devices(session) == 0


async def test_staff_read_devices_of_their_units_only(client: AsyncClient, person: PersonFactory) -> None:
    admin = await person(Role.ADMIN)
    device = await _create(client, admin.headers)
    url = f"/api/v1/devices/{device['id']}"
    own = await person(Role.OFFICER, WARD)
    province = await person(Role.FIELD_STAFF, "37")
    other = await person(Role.OFFICER, OTHER_WARD)
    citizen = await person()
    assert (await client.get(url, headers=own.headers)).status_code == 200
    assert (await client.get(url, headers=province.headers)).status_code == 200
    refused = await client.get(url, headers=other.headers)
    assert refused.status_code == 403
    assert refused.json()["code"] == "outside_unit"
    assert (await client.get(url, headers=citizen.headers)).status_code == 403


async def test_unknown_device_is_404(client: AsyncClient, person: PersonFactory) -> None:
    admin = await person(Role.ADMIN)
    response = await client.get("/api/v1/devices/00000000-0000-4000-8000-000000000000", headers=admin.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "device_not_found"


async def test_admin_changes_name_metadata_status_and_location(
    client: AsyncClient, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    device = await _create(client, admin.headers)
    response = await client.patch(
        f"/api/v1/devices/{device['id']}",
        headers=admin.headers,
        json={
            "name": "Trạm mới",
            "metadata": {"firmware": "2.1"},
            "status": "maintenance",
            "location": point(IN_OTHER_WARD),
        },
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["name"] == "Trạm mới"
    assert changed["metadata"] == {"firmware": "2.1"}
    assert changed["status"] == "maintenance"
    assert changed["ward_code"] == OTHER_WARD
    assert changed["location"] == point(IN_OTHER_WARD)
    assert changed["updated_at"] >= device["updated_at"]
    back = await client.patch(
        f"/api/v1/devices/{device['id']}", headers=admin.headers, json={"status": "active"}
    )
    assert back.json()["status"] == "active"


@pytest.mark.parametrize(
    "patch",
    [
        {"status": "decommissioned"},
        {"status": "broken"},
        {"name": ""},
        {"metadata": "text"},
        {"location": point(OUTSIDE)},
        {"owner": "someone"},
    ],
)
async def test_bad_changes_are_refused_and_change_nothing(
    client: AsyncClient, session: AsyncSession, person: PersonFactory, patch: dict[str, Any]
) -> None:
    admin = await person(Role.ADMIN)
    device = await _create(client, admin.headers)
    response = await client.patch(f"/api/v1/devices/{device['id']}", headers=admin.headers, json=patch)
    assert response.status_code == 422, response.text
    after = await client.get(f"/api/v1/devices/{device['id']}", headers=admin.headers)
    assert after.json() == device


async def test_officers_may_not_change_or_decommission(client: AsyncClient, person: PersonFactory) -> None:
    admin = await person(Role.ADMIN)
    officer = await person(Role.OFFICER, WARD)
    device = await _create(client, admin.headers)
    url = f"/api/v1/devices/{device['id']}"
    assert (await client.patch(url, headers=officer.headers, json={"name": "x"})).status_code == 403
    assert (await client.post(f"{url}/decommission", headers=officer.headers)).status_code == 403
    assert (await client.get(url, headers=admin.headers)).json() == device


async def test_decommissioned_devices_cannot_change(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    admin = await person(Role.ADMIN)
    device = await _create(client, admin.headers)
    url = f"/api/v1/devices/{device['id']}"
    done = await client.post(f"{url}/decommission", headers=admin.headers)
    assert done.status_code == 200
    retired = done.json()
    assert retired["status"] == "decommissioned"
    assert retired["decommissioned_at"] is not None
    again = await client.post(f"{url}/decommission", headers=admin.headers)
    assert again.status_code == 409
    assert again.json()["code"] == "device_decommissioned"
    patch = await client.patch(url, headers=admin.headers, json={"name": "Lại", "status": "active"})
    assert patch.status_code == 409
    assert patch.json()["code"] == "device_decommissioned"
    assert (await client.get(url, headers=admin.headers)).json() == retired
    stored = await session.get(Device, uuid.UUID(device["id"]))
    assert stored is not None
    assert stored.status == "decommissioned"
