"""Officers' dossier list and view: unit scope, filters, pages, and what the view carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from dossiers.models import Apology, Dossier, DossierRating, DossierStep
from dossiers.types import Rating, Status
from tests.dossiers.conftest import Offices
from tests.support.dossier_rows import make_dossier, make_procedure

LIST = "/api/v1/dossiers"
NOW = datetime.now(UTC)
DAY = timedelta(days=1)


@pytest.fixture
async def filed(units: AsyncSession, offices: Offices) -> dict[str, Dossier]:
    session, agency, procedure = units, offices.agency, offices.procedure
    other_procedure = await make_procedure(session)
    made = {
        "overdue": await make_dossier(
            session, agency, procedure, received_at=NOW - 9 * DAY, due_at=NOW - 2 * DAY
        ),
        "within": await make_dossier(
            session, agency, other_procedure, received_at=NOW - 2 * DAY, due_at=NOW + 9 * DAY
        ),
        "finished": await make_dossier(
            session,
            agency,
            procedure,
            received_at=NOW - 5 * DAY,
            due_at=NOW - DAY,
            finished_at=NOW - 3 * DAY,
            status=Status.RESULT_RETURNED,
            applicant_id_hash="a" * 64,
            id_suffix_hash="b" * 64,
        ),
        "other": await make_dossier(session, offices.other_agency, procedure, received_at=NOW - DAY),
    }
    dossier = made["finished"]
    session.add_all(
        [
            DossierStep(dossier_id=dossier.id, status=2, at=NOW - 5 * DAY, unit_name="Bộ phận một cửa"),
            DossierStep(
                dossier_id=dossier.id,
                status=4,
                previous_status=2,
                at=NOW - 4 * DAY,
                unit_name="Phòng Tư pháp",
                officer_name="Lê Văn Cường",
                comment="Chuyển phòng chuyên môn",
                public=False,
            ),
            DossierRating(dossier_id=dossier.id, rating=Rating.SATISFIED, comment="Nhanh"),
            Apology(
                dossier_id=dossier.id,
                reason_vi="Chờ xác minh",
                new_due_at=NOW + DAY,
                agency_id=offices.agency.id,
                issued_at=NOW - 2 * DAY,
            ),
        ]
    )
    await session.flush()
    return made


def _codes(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


async def test_officers_list_their_units_newest_first(
    client: httpx.AsyncClient, offices: Offices, filed: dict[str, Dossier]
) -> None:
    codes = _codes(await client.get(LIST, headers=offices.officer.headers))
    assert codes == [filed[name].code for name in ("within", "finished", "overdue")]
    province = _codes(await client.get(LIST, headers=offices.province_officer.headers))
    assert filed["other"].code in province
    assert len(province) == 4
    assert _codes(await client.get(LIST, headers=offices.other_officer.headers)) == [filed["other"].code]


async def test_filters(client: httpx.AsyncClient, offices: Offices, filed: dict[str, Dossier]) -> None:
    headers = offices.officer.headers

    async def codes(**params: Any) -> set[str]:
        return set(_codes(await client.get(LIST, params=params, headers=headers)))

    assert await codes(on_time="overdue") == {filed["overdue"].code}
    assert await codes(on_time=["within_deadline", "due_soon"]) == {filed["within"].code}
    assert await codes(on_time=["early", "due_soon"]) == {filed["finished"].code}
    assert await codes(on_time="late") == set()
    assert await codes(status=[4, 10]) == {
        filed["overdue"].code,
        filed["within"].code,
        filed["finished"].code,
    }
    assert await codes(status=10) == {filed["finished"].code}
    assert await codes(procedure_code=offices.procedure.code) == {
        filed["overdue"].code,
        filed["finished"].code,
    }
    assert await codes(agency_code=offices.other_agency.code) == set()
    received = {"received_from": (NOW - 6 * DAY).isoformat(), "received_to": (NOW - 3 * DAY).isoformat()}
    assert await codes(**received) == {filed["finished"].code}
    assert await codes(q=filed["within"].code.lower()) == {filed["within"].code}
    bad = await client.get(LIST, params={"on_time": "soonish"}, headers=headers)
    assert bad.status_code == 422


async def test_pages_follow_each_other(
    client: httpx.AsyncClient, offices: Offices, filed: dict[str, Dossier]
) -> None:
    first = await client.get(LIST, params={"limit": 2}, headers=offices.officer.headers)
    cursor = first.json()["next_cursor"]
    assert cursor is not None
    second = await client.get(LIST, params={"limit": 2, "cursor": cursor}, headers=offices.officer.headers)
    assert _codes(first) + _codes(second) == [filed[n].code for n in ("within", "finished", "overdue")]
    assert second.json()["next_cursor"] is None
    broken = await client.get(LIST, params={"cursor": "nonsense"}, headers=offices.officer.headers)
    assert broken.status_code == 400


async def test_the_view_carries_everything_but_the_id_hashes(
    client: httpx.AsyncClient, offices: Offices, filed: dict[str, Dossier]
) -> None:
    response = await client.get(f"{LIST}/{filed['finished'].code}", headers=offices.officer.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["applicant_name"] == "Nguyễn Thị Lan"
    assert body["applicant_phone"] == "+84912345678"
    assert "a" * 64 not in response.text
    assert "b" * 64 not in response.text
    assert not {"applicant_id_hash", "id_suffix_hash"} & set(body)
    assert body["on_time"] == "early"
    assert [step["officer_name"] for step in body["steps"]] == [None, "Lê Văn Cường"]
    assert body["steps"][1]["public"] is False
    assert body["rating"]["rating"] == "satisfied"
    assert body["apologies"][0]["source"] == "agency"
    assert body["apologies"][0]["agency_code"] == offices.agency.code
    assert body["procedure_code"] == offices.procedure.code
    assert body["status_name_en"] == "Result returned"


async def test_another_units_dossier_is_not_found(
    client: httpx.AsyncClient, offices: Offices, filed: dict[str, Dossier]
) -> None:
    response = await client.get(f"{LIST}/{filed['other'].code}", headers=offices.officer.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "dossier_not_found"
    missing = await client.get(f"{LIST}/000.00.22.H56-260424-9999", headers=offices.officer.headers)
    assert missing.status_code == 404
    assert (await client.get(f"{LIST}/not-a-code", headers=offices.officer.headers)).status_code == 422
    admin = await client.get(f"{LIST}/{filed['other'].code}", headers=offices.admin.headers)
    assert admin.status_code == 200
    assert (await client.get(f"{LIST}/{filed['other'].code}")).status_code == 401
