"""On-time figures over a known table of dossiers: each category, rates, satisfaction, grouping, scope."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import LOCAL_ZONE
from dossiers.models import Dossier, DossierRating
from dossiers.types import Rating, Status
from tests.dossiers.conftest import OTHER_WARD, PROVINCE, WARD, Offices
from tests.support.dossier_rows import make_dossier

FIGURES = "/api/v1/dossiers/figures"
NOW = datetime.now(UTC)
DAY = timedelta(days=1)
TODAY = NOW.astimezone(LOCAL_ZONE).date()
PERIOD = {"from": (TODAY - 20 * DAY).isoformat(), "to": TODAY.isoformat()}


def local(days_ago: int, clock: time) -> datetime:
    return datetime.combine(TODAY - days_ago * DAY, clock, tzinfo=LOCAL_ZONE)


@pytest.fixture
async def known(units: AsyncSession, offices: Offices) -> dict[str, Dossier]:
    session, agency, procedure = units, offices.agency, offices.procedure
    received = NOW - 8 * DAY

    async def dossier(**fields: Any) -> Dossier:
        return await make_dossier(session, agency, procedure, **{"received_at": received, **fields})

    finished = {"status": Status.RESULT_READY}
    made = {
        "early": await dossier(due_at=local(2, time(9)), finished_at=local(5, time(9)), **finished),
        "on_time": await dossier(due_at=local(3, time(9)), finished_at=local(3, time(16)), **finished),
        "late": await dossier(due_at=local(4, time(9)), finished_at=local(1, time(9)), **finished),
        "forced": await dossier(
            due_at=local(2, time(9)), finished_at=local(5, time(9)), forced_late=True, **finished
        ),
        "refused_late": await dossier(
            due_at=local(6, time(9)), finished_at=local(5, time(9)), status=Status.REFUSED
        ),
        "apologised": await dossier(original_due_at=NOW - 2 * DAY, due_at=NOW + 5 * DAY, forced_late=True),
        "within": await dossier(due_at=NOW + 10 * DAY),
        "due_soon": await dossier(due_at=NOW + timedelta(minutes=30)),
        "paused": await dossier(due_at=None, paused_at=NOW - DAY, status=Status.MORE_DOCUMENTS),
        "overdue": await dossier(due_at=NOW - 3 * DAY),
        "withdrawn": await dossier(finished_at=NOW - DAY, status=Status.WITHDRAWN),
        # Not counted for the ward: received before the period, or in the other ward.
        "old": await dossier(received_at=NOW - 40 * DAY, due_at=NOW - 30 * DAY),
        "other_ward": await make_dossier(session, offices.other_agency, procedure, received_at=received),
    }
    for key, rating in (
        ("early", Rating.VERY_SATISFIED),
        ("late", Rating.SATISFIED),
        ("on_time", Rating.NOT_SATISFIED),
    ):
        session.add(DossierRating(dossier_id=made[key].id, rating=rating))
    await session.flush()
    return made


async def _figures(client: httpx.AsyncClient, offices: Offices, **params: str) -> httpx.Response:
    return await client.get(FIGURES, params={**PERIOD, **params}, headers=offices.officer.headers)


@pytest.mark.usefixtures("known")
async def test_each_category_of_the_ward(client: httpx.AsyncClient, offices: Offices) -> None:
    response = await _figures(client, offices, unit_code=WARD)
    assert response.status_code == 200, response.text
    totals = response.json()["totals"]
    assert totals["received"] == 11
    assert totals["withdrawn"] == 1
    assert totals["handled"] == 10
    assert totals["finished_early"] == 1
    assert totals["finished_on_time"] == 1
    # Late by date, forced late though early by date, and refused after its due date.
    assert totals["finished_late"] == 3
    # Within deadline, due soon, and waiting for documents with the clock stopped.
    assert totals["open_within_deadline"] == 3
    # Past due, and apologised for (its new date is ahead, but it stays late).
    assert totals["open_overdue"] == 2
    assert totals["on_time_rate"] == round(5 / 10, 4)
    assert totals["satisfaction"] == {
        "ratings": 3,
        "very_satisfied": 1,
        "satisfied": 1,
        "not_satisfied": 1,
        "rate": round(2 / 3, 4),
    }
    assert response.json()["months"] == []


@pytest.mark.usefixtures("known")
async def test_a_province_covers_its_wards_and_an_agency_its_own(
    client: httpx.AsyncClient, offices: Offices
) -> None:
    province = await client.get(
        FIGURES, params={**PERIOD, "unit_code": PROVINCE}, headers=offices.province_officer.headers
    )
    assert province.json()["totals"]["received"] == 12
    agency = await _figures(client, offices, agency_code=offices.agency.code)
    assert agency.status_code == 200, agency.text
    assert agency.json()["totals"]["received"] == 11


@pytest.mark.usefixtures("known")
async def test_grouped_by_month_the_months_add_up_to_the_total(
    client: httpx.AsyncClient, offices: Offices
) -> None:
    body = (await _figures(client, offices, unit_code=WARD, group="month")).json()
    months = body["months"]
    assert [row["month"] for row in months] == sorted(row["month"] for row in months)
    assert sum(row["received"] for row in months) == body["totals"]["received"] == 11
    assert sum(row["open_overdue"] for row in months) == body["totals"]["open_overdue"]


@pytest.mark.usefixtures("known")
async def test_another_units_figures_are_refused(client: httpx.AsyncClient, offices: Offices) -> None:
    other = await _figures(client, offices, unit_code=OTHER_WARD)
    assert other.status_code == 403
    assert other.json()["code"] == "outside_unit"
    agency = await _figures(client, offices, agency_code=offices.other_agency.code)
    assert agency.status_code == 403
    unknown = await client.get(
        FIGURES, params={**PERIOD, "agency_code": "999.99.99.H99"}, headers=offices.officer.headers
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "agency_not_found"
    citizen = await client.get(FIGURES, params={**PERIOD, "unit_code": WARD})
    assert citizen.status_code == 401


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"from": "2026-03-10", "to": "2026-03-01", "unit_code": WARD}, "date_range_reversed"),
        ({"from": "2025-01-01", "to": "2026-01-02", "unit_code": WARD}, "date_range_too_long"),
        ({"from": "2026-02-30", "to": "2026-03-01", "unit_code": WARD}, "validation_error"),
        ({"from": "1999-12-01", "to": "1999-12-31", "unit_code": WARD}, "validation_error"),
        ({"from": "2026-03-01", "to": "2026-03-31"}, "validation_error"),
        (
            {"from": "2026-03-01", "to": "2026-03-31", "unit_code": WARD, "agency_code": "X1"},
            "validation_error",
        ),
        ({"from": "2026-03-01", "to": "2026-03-31", "unit_code": WARD, "group": "year"}, "validation_error"),
    ],
)
async def test_bad_periods_and_scopes_are_422(
    client: httpx.AsyncClient, offices: Offices, params: dict[str, str], code: str
) -> None:
    response = await client.get(FIGURES, params=params, headers=offices.officer.headers)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code


async def test_a_full_year_of_366_days_is_accepted(client: httpx.AsyncClient, offices: Offices) -> None:
    params = {"from": "2024-01-01", "to": "2024-12-31", "unit_code": WARD}
    response = await client.get(FIGURES, params=params, headers=offices.officer.headers)
    assert response.status_code == 200
    assert response.json()["totals"]["on_time_rate"] is None
