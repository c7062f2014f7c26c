"""Officers' apologies: only for late dossiers of their unit, dated after now and the current due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.calendar import LOCAL_ZONE
from dossiers.models import Apology, Dossier
from dossiers.types import Status
from tests.dossiers.conftest import WARD, Offices
from tests.support.dossier_rows import make_dossier

LIST = "/api/v1/dossiers"
NOW = datetime.now(UTC)
DAY = timedelta(days=1)


def _body(new_due_at: datetime, **more: str) -> dict[str, str]:
    return {"reason_vi": "Cần xác minh thêm với cơ quan thuế", "new_due_at": new_due_at.isoformat(), **more}


async def _apologies(session: AsyncSession, dossier: Dossier) -> int:
    return int(await session.scalar(select(func.count()).where(col(Apology.dossier_id) == dossier.id)) or 0)


async def test_an_overdue_dossier_takes_an_apology_and_stays_late(
    client: httpx.AsyncClient, units: AsyncSession, offices: Offices
) -> None:
    original = NOW - 2 * DAY
    dossier = await make_dossier(
        units, offices.agency, offices.procedure, received_at=NOW - 9 * DAY, due_at=original
    )
    new_due = NOW + 5 * DAY
    response = await client.post(
        f"{LIST}/{dossier.code}/apologies",
        json=_body(new_due, reason_en="Tax office check"),
        headers=offices.officer.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["author_name"] == "Trần Văn Bình"
    assert response.json()["source"] == "officer"
    await units.refresh(dossier)
    assert dossier.due_at == new_due
    assert dossier.original_due_at == original
    assert dossier.forced_late is True
    assert await _apologies(units, dossier) == 1
    view = (await client.get(f"{LIST}/{dossier.code}", headers=offices.officer.headers)).json()
    assert view["on_time"] == "overdue"
    assert view["apologies"][0]["reason_en"] == "Tax office check"
    today = NOW.astimezone(LOCAL_ZONE).date()
    figures = await client.get(
        "/api/v1/dossiers/figures",
        params={"unit_code": WARD, "from": (today - 10 * DAY).isoformat(), "to": today.isoformat()},
        headers=offices.officer.headers,
    )
    assert figures.json()["totals"]["open_overdue"] == 1
    assert figures.json()["totals"]["open_within_deadline"] == 0
    # A second apology must promise a date after the first one's.
    earlier = await client.post(
        f"{LIST}/{dossier.code}/apologies", json=_body(NOW + 2 * DAY), headers=offices.officer.headers
    )
    assert earlier.status_code == 422
    assert earlier.json()["code"] == "invalid_deadline"
    assert await _apologies(units, dossier) == 1


async def test_a_dossier_finished_late_takes_one(
    client: httpx.AsyncClient, units: AsyncSession, offices: Offices
) -> None:
    dossier = await make_dossier(
        units,
        offices.agency,
        offices.procedure,
        received_at=NOW - 9 * DAY,
        due_at=NOW - 4 * DAY,
        finished_at=NOW - DAY,
        status=Status.RESULT_READY,
    )
    response = await client.post(
        f"{LIST}/{dossier.code}/apologies", json=_body(NOW + DAY), headers=offices.officer.headers
    )
    assert response.status_code == 201, response.text


async def test_a_dossier_not_late_is_409_and_unchanged(
    client: httpx.AsyncClient, units: AsyncSession, offices: Offices
) -> None:
    due = NOW + 5 * DAY
    dossier = await make_dossier(units, offices.agency, offices.procedure, due_at=due)
    early = await make_dossier(
        units,
        offices.agency,
        offices.procedure,
        due_at=NOW + DAY,
        finished_at=NOW - DAY,
        status=Status.RESULT_READY,
    )
    for target in (dossier, early):
        response = await client.post(
            f"{LIST}/{target.code}/apologies", json=_body(NOW + 9 * DAY), headers=offices.officer.headers
        )
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "not_late"
        assert await _apologies(units, target) == 0
    await units.refresh(dossier)
    assert dossier.due_at == due
    assert dossier.forced_late is False


async def test_bad_dates_and_bodies_are_422(
    client: httpx.AsyncClient, units: AsyncSession, offices: Offices
) -> None:
    dossier = await make_dossier(
        units, offices.agency, offices.procedure, received_at=NOW - 9 * DAY, due_at=NOW - DAY
    )
    url = f"{LIST}/{dossier.code}/apologies"
    past = await client.post(url, json=_body(NOW - timedelta(minutes=1)), headers=offices.officer.headers)
    assert past.status_code == 422
    assert past.json()["code"] == "invalid_deadline"
    for body in (
        {"new_due_at": (NOW + DAY).isoformat()},
        _body(NOW + DAY, reason_vi="   "),
        _body(NOW + DAY, reason_vi="a\x00b"),
        {**_body(NOW + DAY), "new_due_at": "2026-05-01T09:00:00"},
        {**_body(NOW + DAY), "new_due_at": "9999-12-31T23:59:59-23:59"},
        {**_body(NOW + DAY), "extra": "x"},
    ):
        response = await client.post(url, json=body, headers=offices.officer.headers)
        assert response.status_code == 422, body
    assert await _apologies(units, dossier) == 0


async def test_only_officers_of_its_unit(
    client: httpx.AsyncClient, units: AsyncSession, offices: Offices
) -> None:
    dossier = await make_dossier(
        units, offices.agency, offices.procedure, received_at=NOW - 9 * DAY, due_at=NOW - DAY
    )
    url = f"{LIST}/{dossier.code}/apologies"
    other = await client.post(url, json=_body(NOW + DAY), headers=offices.other_officer.headers)
    assert other.status_code == 404
    assert other.json()["code"] == "dossier_not_found"
    field = await client.post(url, json=_body(NOW + DAY), headers=offices.field_worker.headers)
    assert field.status_code == 403
    assert (await client.post(url, json=_body(NOW + DAY))).status_code == 401
    assert await _apologies(units, dossier) == 0
    province = await client.post(url, json=_body(NOW + DAY), headers=offices.province_officer.headers)
    assert province.status_code == 201


async def test_a_dossier_due_soon_takes_an_apology_before_its_date(
    client: httpx.AsyncClient, units: AsyncSession, offices: Offices
) -> None:
    # The letter is due a working day before the due date at the latest, once the office knows it is late.
    dossier = await make_dossier(units, offices.agency, offices.procedure, due_at=NOW + timedelta(minutes=1))
    response = await client.post(
        f"{LIST}/{dossier.code}/apologies", json=_body(NOW + 3 * DAY), headers=offices.officer.headers
    )
    assert response.status_code == 201, response.text
    assert await _apologies(units, dossier) == 1
