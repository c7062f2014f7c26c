"""Public open data: per unit and month, JSON and CSV, no personal data, cached with an ETag."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import LOCAL_ZONE
from dossiers.figures.open_data import HEADER
from dossiers.types import Status
from tests.dossiers.conftest import OTHER_WARD, WARD, Offices
from tests.support.dossier_rows import make_dossier

OPEN = "/api/v1/open-data/dossier-figures"
NOW = datetime.now(UTC)
MONTH = NOW.astimezone(LOCAL_ZONE).strftime("%Y-%m")
NAME, PHONE = "Phạm Thị Hoa", "+84987654321"


@pytest.fixture
async def filed(units: AsyncSession, offices: Offices) -> None:
    person: dict[str, Any] = {
        "applicant_name": NAME,
        "applicant_phone": PHONE,
        "received_at": NOW - timedelta(minutes=5),
    }
    await make_dossier(units, offices.agency, offices.procedure, **person)
    await make_dossier(
        units, offices.agency, offices.procedure, status=Status.RESULT_READY, finished_at=NOW, **person
    )
    await make_dossier(units, offices.other_agency, offices.procedure, **person)


@pytest.mark.usefixtures("filed")
async def test_json_per_unit_without_personal_data(client: httpx.AsyncClient) -> None:
    response = await client.get(OPEN, params={"month": MONTH})
    assert response.status_code == 200, response.text
    assert NAME not in response.text
    assert PHONE not in response.text
    assert "applicant" not in response.text
    units = {row["unit_code"]: row for row in response.json()["units"]}
    assert set(units) == {WARD, OTHER_WARD}
    assert units[WARD]["received"] == 2
    assert units[WARD]["finished_early"] == 1
    assert units[WARD]["unit_name"]
    assert response.headers["cache-control"].startswith("public")
    again = await client.get(
        OPEN, params={"month": MONTH}, headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.usefixtures("filed")
async def test_csv_has_a_bom_a_header_and_no_personal_data(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{OPEN}.csv", params={"month": MONTH, "unit_code": WARD})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    assert NAME not in text
    assert PHONE not in text
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == list(HEADER)
    assert len(rows) == 2
    row = dict(zip(HEADER, rows[1], strict=True))
    assert row["unit_code"] == WARD
    assert row["month"] == MONTH
    assert row["received"] == "2"
    assert row["on_time_rate"] == "1.0000"


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "1999-12", "0000-01", "26-01", ""])
async def test_bad_months_are_422(client: httpx.AsyncClient, month: str) -> None:
    response = await client.get(OPEN, params={"month": month})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


async def test_an_unknown_unit_is_404(client: httpx.AsyncClient, units: AsyncSession) -> None:
    response = await client.get(f"{OPEN}.csv", params={"month": MONTH, "unit_code": "99999"})
    assert response.status_code == 404
    assert response.json()["code"] == "unit_not_found"
