"""GET /api/v1/feedback/{id} and /by-code/{code}: one report in the shape the caller may see."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from tests.feedback.listing.test_public_feed import assert_no_identity
from tests.feedback.support import OTHER_WARD, PROVINCE, WARD, insert_report
from tests.support.people import PersonFactory

BASE = "/api/v1/feedback"


async def test_shapes_by_audience(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person(display_name="Lê Văn Riêng")
    report = await insert_report(
        catalogue, reporter=citizen, answers={"size": "xyzzy-secret"}, anonymous=True
    )
    stranger, other_officer = await person(), await person(Role.OFFICER, OTHER_WARD)
    for url in (f"{BASE}/{report.id}", f"{BASE}/by-code/{report.code}"):
        public = await client.get(url)
        assert public.status_code == 200, public.text
        assert public.json()["code"] == report.code
        assert "answers" not in public.json()
        assert_no_identity(public.text, citizen, "xyzzy-secret")
        for viewer in (stranger, other_officer):
            seen = await client.get(url, headers=viewer.headers)
            assert "answers" not in seen.json()
            assert_no_identity(seen.text, citizen, "xyzzy-secret")
        own = (await client.get(url, headers=citizen.headers)).json()
        assert own["answers"] == {"size": "xyzzy-secret"}
        assert "reporter" not in own
        for unit in (WARD, PROVINCE):
            staff = (await client.get(url, headers=(await person(Role.OFFICER, unit)).headers)).json()
            assert staff["reporter"]["display_name"] == "Lê Văn Riêng"
            assert staff["reporter"]["phone"] == citizen.user.phone


async def test_private_report_is_404_to_others(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    report = await insert_report(catalogue, reporter=citizen, is_public=False)
    for headers in ({}, (await person()).headers, (await person(Role.OFFICER, OTHER_WARD)).headers):
        answer = await client.get(f"{BASE}/{report.id}", headers=headers)
        assert answer.status_code == 404
        assert answer.json()["code"] == "report_not_found"
        assert (await client.get(f"{BASE}/by-code/{report.code}", headers=headers)).status_code == 404
    assert (await client.get(f"{BASE}/{report.id}", headers=citizen.headers)).json()["is_public"] is False
    officer = await person(Role.OFFICER, WARD)
    assert (await client.get(f"{BASE}/{report.id}", headers=officer.headers)).status_code == 200


async def test_unknown_reports(client: httpx.AsyncClient, catalogue: AsyncSession) -> None:
    assert (await client.get(f"{BASE}/{uuid.uuid4()}")).json()["code"] == "report_not_found"
    assert (await client.get(f"{BASE}/by-code/PA-2026-999999")).status_code == 404
    assert (await client.get(f"{BASE}/by-code/nope")).status_code == 422
