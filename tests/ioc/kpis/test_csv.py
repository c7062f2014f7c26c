"""Each section as CSV: UTF-8 with a byte order mark, a header row, one row per figure."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from core.identity.principal import Role
from tests.ioc.kpis.known import PROVINCE, WARD
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("known")

JUNE = {"from": "2026-06-01", "to": "2026-06-07"}
PERIOD = ["2026-06-01T00:00:00+07:00", "2026-06-08T00:00:00+07:00"]


async def rows(
    client: httpx.AsyncClient, person: PersonFactory, section: str, **params: str
) -> list[list[str]]:
    officer = await person(Role.OFFICER, PROVINCE)
    response = await client.get(
        f"/api/v1/kpis/{section}.csv", params={**JUNE, **params}, headers=officer.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith(f'attachment; filename="kpis-{section}-')
    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    assert "\r\n" in text
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["section", "unit_code", "from", "to", "figure", "value"]
    return table[1:]


async def test_reports_csv(client: httpx.AsyncClient, person: PersonFactory) -> None:
    table = await rows(client, person, "reports", unit_code=WARD)
    assert all(row[:4] == ["reports", WARD, *PERIOD] for row in table)
    figures = {row[4]: row[5] for row in table}
    assert figures["total"] == "3"
    assert figures["by_status.submitted"] == "1"
    assert figures["by_category.lighting"] == "1"
    assert figures["median_acknowledge_seconds"] == "19800.0"
    assert figures["satisfaction_rate"] == "0.5"
    assert len(figures) == len(table), "one row per figure"


async def test_every_section_has_a_csv(client: httpx.AsyncClient, person: PersonFactory) -> None:
    alarms = {row[4]: row[5] for row in await rows(client, person, "alarms")}
    assert (
        alarms["raised"],
        alarms["by_severity.critical.raised"],
        alarms["by_severity.minor.median_clear_seconds"],
    ) == (
        "4",
        "2",
        "",
    )
    devices = {row[4]: row[5] for row in await rows(client, person, "devices")}
    assert devices["by_type.water_level.went_offline"] == "1"
    dispatch = {row[4]: row[5] for row in await rows(client, person, "dispatch")}
    assert dispatch["offers"] == "5"
    dossiers = {row[4]: row[5] for row in await rows(client, person, "dossiers")}
    assert (dossiers["received"], dossiers["satisfaction.ratings"]) == ("5", "0")
