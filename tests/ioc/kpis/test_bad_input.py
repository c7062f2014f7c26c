"""Bad KPI requests: a clear problem+json with a stable code, whoever asks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import PROBLEM_CONTENT_TYPE
from core.identity.principal import Role
from tests.ioc.kpis.known import OTHER_WARD, WARD
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")

KPIS = "/api/v1/kpis"


async def problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)
    body: dict[str, Any] = response.json()
    assert body["code"] == code
    return body


@pytest.mark.parametrize("path", ["/reports", "/reports.csv", "/alarms/series"])
@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2026-06-05", "to": "2026-06-01"}, "date_range_reversed"),
        ({"from": "2026-06-01T10:00:00+07:00", "to": "2026-06-01T10:00:00+07:00"}, "date_range_reversed"),
        ({"from": "2025-01-01", "to": "2026-01-02"}, "date_range_too_long"),
        ({"from": "2026-13-01"}, "validation_error"),
        ({"to": "yesterday"}, "validation_error"),
        ({"from": "1999-12-31"}, "validation_error"),
        ({"to": "9999-12-31T23:00:00-12:00"}, "validation_error"),
        ({"form": "2026-06-01"}, "validation_error"),
        ({"unit_code": "1366"}, "validation_error"),
    ],
)
async def test_bad_parameters(
    client: httpx.AsyncClient, person: PersonFactory, path: str, params: dict[str, str], code: str
) -> None:
    officer = await person(Role.OFFICER, WARD)
    await problem(await client.get(KPIS + path, params=params, headers=officer.headers), 422, code)


async def test_the_problems_say_what_is_wrong(client: httpx.AsyncClient, person: PersonFactory) -> None:
    officer = await person(Role.OFFICER, WARD)
    headers = {**officer.headers, "accept-language": "en"}
    body = await problem(
        await client.get(f"{KPIS}/reports", params={"unit": WARD}, headers=headers), 422, "validation_error"
    )
    assert "unit" in str(body["errors"])
    assert "Unknown parameter unit" in str(body)
    body = await problem(
        await client.get(
            f"{KPIS}/reports", params={"from": "2025-01-01", "to": "2026-06-01"}, headers=headers
        ),
        422,
        "date_range_too_long",
    )
    assert "366" in str(body)


async def test_series_limits(client: httpx.AsyncClient, person: PersonFactory) -> None:
    officer = await person(Role.OFFICER, WARD)
    month = {"from": "2026-05-01", "to": "2026-05-31"}
    longer = {"from": "2026-05-01", "to": "2026-06-01"}
    hourly = await client.get(
        f"{KPIS}/alarms/series", params={**month, "interval": "hour"}, headers=officer.headers
    )
    assert hourly.status_code == 200, hourly.text
    assert len(hourly.json()["series"][0]["points"]) == 31 * 24
    await problem(
        await client.get(
            f"{KPIS}/alarms/series", params={**longer, "interval": "hour"}, headers=officer.headers
        ),
        422,
        "date_range_too_long",
    )
    daily = await client.get(
        f"{KPIS}/alarms/series", params={**longer, "interval": "day"}, headers=officer.headers
    )
    assert daily.status_code == 200, daily.text
    await problem(
        await client.get(
            f"{KPIS}/alarms/series", params={**month, "interval": "month"}, headers=officer.headers
        ),
        422,
        "validation_error",
    )
    # interval belongs to the series only.
    await problem(
        await client.get(f"{KPIS}/alarms", params={"interval": "day"}, headers=officer.headers),
        422,
        "validation_error",
    )


@pytest.mark.parametrize("path", ["/incidents", "/incidents.csv", "/incidents/series", "/Reports"])
async def test_unknown_section(client: httpx.AsyncClient, person: PersonFactory, path: str) -> None:
    officer = await person(Role.OFFICER, WARD)
    await problem(await client.get(KPIS + path, headers=officer.headers), 404, "not_found")


@pytest.mark.parametrize("path", ["/reports", "/dossiers.csv", "/devices/series"])
async def test_another_units_kpis(client: httpx.AsyncClient, person: PersonFactory, path: str) -> None:
    officer = await person(Role.OFFICER, WARD)
    for unit in (OTHER_WARD, "37"):
        response = await client.get(KPIS + path, params={"unit_code": unit}, headers=officer.headers)
        await problem(response, 403, "outside_unit")


async def test_unknown_unit(client: httpx.AsyncClient, person: PersonFactory) -> None:
    admin = await person(Role.ADMIN)
    await problem(
        await client.get(f"{KPIS}/alarms", params={"unit_code": "99999"}, headers=admin.headers),
        404,
        "unit_not_found",
    )
    # An officer learns nothing of units outside his own, not even whether they exist.
    officer = await person(Role.OFFICER, WARD)
    await problem(
        await client.get(f"{KPIS}/alarms", params={"unit_code": "99999"}, headers=officer.headers),
        403,
        "outside_unit",
    )


@pytest.mark.parametrize("path", ["/reports", "/reports.csv", "/reports/series", "/nothing"])
async def test_anonymous_and_citizens(
    client: httpx.AsyncClient, person: PersonFactory, session: AsyncSession, path: str
) -> None:
    await problem(await client.get(KPIS + path), 401, "unauthenticated")
    citizen = await person()
    await problem(await client.get(KPIS + path, headers=citizen.headers), 403, "forbidden")
