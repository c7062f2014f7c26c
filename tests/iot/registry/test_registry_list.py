"""The device list: unit scope, filters, and cursor paging."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.identity.principal import Role
from iot.registry import service as registry
from iot.registry.schemas import DeviceCreate, DevicePoint
from tests.iot.support import IN_OTHER_WARD, IN_WARD, OTHER_WARD, WARD
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("units")


async def _add(
    session: AsyncSession,
    lat_lon: tuple[float, float],
    device_type: str = "noise",
    *,
    minutes_ago: int = 0,
) -> str:
    data = DeviceCreate.model_validate(
        {
            "type": device_type,
            "name": f"{device_type} {minutes_ago}",
            "location": DevicePoint(lat=lat_lon[0], lon=lat_lon[1]),
        }
    )
    device = await registry.create_device(session, data, now=utcnow() - timedelta(minutes=minutes_ago))
    return str(device.id)


async def _ids(client: AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get("/api/v1/devices", headers=headers, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_staff_see_their_units_and_admins_everything(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    mine = await _add(session, IN_WARD, minutes_ago=2)
    theirs = await _add(session, IN_OTHER_WARD, minutes_ago=1)
    officer = await person(Role.OFFICER, WARD)
    province = await person(Role.FIELD_STAFF, "37")
    admin = await person(Role.ADMIN)
    assert await _ids(client, officer.headers) == [mine]
    assert await _ids(client, officer.headers, ward_code=OTHER_WARD) == []
    assert await _ids(client, province.headers) == [theirs, mine]
    assert await _ids(client, admin.headers) == [theirs, mine]
    citizen = await person()
    assert (await client.get("/api/v1/devices", headers=citizen.headers)).status_code == 403


async def test_filters_by_type_status_ward_and_box(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    camera = await _add(session, IN_WARD, "camera_traffic", minutes_ago=3)
    noise = await _add(session, IN_WARD, "noise", minutes_ago=2)
    water = await _add(session, IN_OTHER_WARD, "water_level", minutes_ago=1)
    admin = await person(Role.ADMIN)
    await client.patch(f"/api/v1/devices/{noise}", headers=admin.headers, json={"status": "maintenance"})
    headers = admin.headers
    assert await _ids(client, headers, type=["camera_traffic", "water_level"]) == [water, camera]
    assert await _ids(client, headers, status="maintenance") == [noise]
    assert await _ids(client, headers, status=["active"]) == [water, camera]
    assert await _ids(client, headers, ward_code=OTHER_WARD) == [water]
    lat, lon = IN_WARD
    box = f"{lon - 0.001},{lat - 0.001},{lon + 0.001},{lat + 0.001}"
    assert await _ids(client, headers, bbox=box) == [noise, camera]


async def test_cursor_pages_visit_every_device_once(
    client: AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    expected = [await _add(session, IN_WARD, minutes_ago=i % 4) for i in range(11)]
    admin = await person(Role.ADMIN)
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/devices", headers=admin.headers, params=params)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(expected)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "garbage!"},
        {"cursor": "Zm9vfGJhcnxiYXo"},
    ],
)
async def test_garbage_cursor_is_400(
    client: AsyncClient, person: PersonFactory, params: dict[str, str]
) -> None:
    admin = await person(Role.ADMIN)
    response = await client.get("/api/v1/devices", headers=admin.headers, params=params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "107,20,106,21"},
        {"bbox": "a,b,c,d"},
        {"limit": 0},
        {"limit": 501},
        {"type": "toaster"},
        {"status": "broken"},
        {"ward_code": "abc"},
    ],
)
async def test_bad_list_queries_are_422(
    client: AsyncClient, person: PersonFactory, params: dict[str, Any]
) -> None:
    admin = await person(Role.ADMIN)
    response = await client.get("/api/v1/devices", headers=admin.headers, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
