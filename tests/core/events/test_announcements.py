"""POST /api/v1/announcements: officers publish to their units; the announcement and its event are written in
one transaction, and nothing is written when the request is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr
from shapely.geometry import box
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.http.resources import Resources
from core.identity.principal import Role
from core.settings import Settings
from core.units.models import UnitLevel
from core.units.repository import UnitWrite, upsert_units
from tests.support.events import PROVINCE, WARD_A, WARD_B, token

URL = "/api/v1/announcements"
BODY = {"unit_code": WARD_A, "title_vi": "Cắt điện", "title_en": "Power cut", "body": "8h-11h"}


@pytest.fixture
async def signing(resources: Resources) -> AsyncIterator[Settings]:
    """The app's settings with a signing key long enough for HS256; tokens are issued with the same."""
    original = resources.settings
    resources.settings = original.model_copy(update={"secret_key": SecretStr("announce-tests-" + "k" * 40)})
    yield resources.settings
    resources.settings = original


@pytest.fixture
async def test_units(session: AsyncSession) -> None:
    def unit(code: str, level: UnitLevel, parent: str | None, west: float, east: float) -> UnitWrite:
        return UnitWrite(
            code=code,
            name=f"Test {code}",
            name_en=f"Test {code}",
            level=level,
            parent_code=parent,
            boundary_wkb=box(west, 20.0, east, 21.0).wkb,
            demo_geometry=True,
        )

    await upsert_units(
        session,
        [
            unit(PROVINCE, UnitLevel.PROVINCE, None, 105.0, 106.0),
            unit(WARD_A, UnitLevel.WARD, PROVINCE, 105.0, 105.5),
            unit(WARD_B, UnitLevel.WARD, PROVINCE, 105.5, 106.0),
        ],
    )
    await session.flush()


async def _written(session: AsyncSession) -> tuple[int, int]:
    announcements = await session.scalar(text("SELECT count(*) FROM announcements WHERE unit_code ~ '^98'"))
    events = await session.scalar(text("SELECT count(*) FROM event_outbox WHERE unit_code ~ '^98'"))
    return int(announcements or 0), int(events or 0)


async def test_an_officer_publishes_to_his_ward(
    client: httpx.AsyncClient, session: AsyncSession, signing: Settings, test_units: None
) -> None:
    bearer = token(signing, Role.OFFICER, WARD_A)
    response = await client.post(URL, json=BODY, headers={"Authorization": f"Bearer {bearer}"})
    assert response.status_code == 201, response.text
    published = response.json()
    assert published["unit_code"] == WARD_A
    row = (
        await session.execute(
            text(
                "SELECT type, topic, subject_id, data, ST_X(location) AS lon, ST_Y(location) AS lat "
                "FROM event_outbox WHERE event_id = :id"
            ),
            {"id": published["event_id"]},
        )
    ).one()
    assert (row.type, row.topic) == ("announcements.published", "announcements")
    assert row.subject_id == published["id"]
    assert row.data == {"title_vi": "Cắt điện", "title_en": "Power cut", "body": "8h-11h"}
    # Placed at the ward's label point, so that a map or a bbox filter can use it.
    assert 105.0 <= row.lon <= 105.5
    assert 20.0 <= row.lat <= 21.0
    assert await _written(session) == (1, 1)
    # And a push to the ward's topic, once per language.
    pushed = (
        await session.execute(
            text(
                "SELECT topic, title_vi, title_en, data FROM notifications WHERE "
                "data->>'announcement_id' = :id "
                "ORDER BY topic"
            ),
            {"id": published["id"]},
        )
    ).all()
    assert [p.topic for p in pushed] == [f"unit-{WARD_A}-en", f"unit-{WARD_A}-vi"]
    assert {(p.title_vi, p.title_en) for p in pushed} == {("Cắt điện", "Power cut")}


async def test_a_province_officer_publishes_to_its_wards_and_an_admin_anywhere(
    client: httpx.AsyncClient, session: AsyncSession, signing: Settings, test_units: None
) -> None:
    province = token(signing, Role.OFFICER, PROVINCE)
    admin = token(signing, Role.ADMIN)
    for bearer, unit in ((province, WARD_B), (admin, PROVINCE)):
        response = await client.post(
            URL, json={**BODY, "unit_code": unit}, headers={"Authorization": f"Bearer {bearer}"}
        )
        assert response.status_code == 201, response.text
    assert await _written(session) == (2, 2)


@pytest.mark.parametrize(
    ("role", "unit", "target", "status", "code"),
    [
        (Role.OFFICER, WARD_A, WARD_B, 403, "outside_unit"),
        (Role.OFFICER, WARD_A, PROVINCE, 403, "outside_unit"),
        (Role.CITIZEN, None, WARD_A, 403, "forbidden"),
        (Role.FIELD_STAFF, WARD_A, WARD_A, 403, "forbidden"),
        (Role.ADMIN, None, "97999", 404, "unit_not_found"),
    ],
)
async def test_refused_requests_write_nothing(
    client: httpx.AsyncClient,
    session: AsyncSession,
    signing: Settings,
    test_units: None,
    role: Role,
    unit: str | None,
    target: str,
    status: int,
    code: str,
) -> None:
    bearer = token(signing, role, unit)
    response = await client.post(
        URL, json={**BODY, "unit_code": target}, headers={"Authorization": f"Bearer {bearer}"}
    )
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert await _written(session) == (0, 0)


async def test_without_a_token_401_and_invalid_input_422(
    client: httpx.AsyncClient, session: AsyncSession, signing: Settings, test_units: None
) -> None:
    assert (await client.post(URL, json=BODY)).status_code == 401
    bearer = token(signing, Role.ADMIN)
    response = await client.post(
        URL, json={**BODY, "title_vi": ""}, headers={"Authorization": f"Bearer {bearer}"}
    )
    assert response.status_code == 422
    assert await _written(session) == (0, 0)
