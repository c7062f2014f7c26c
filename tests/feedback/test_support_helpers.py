"""The report test helpers themselves: a person's token works, and an inserted report is in the ward."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from tests.feedback.support import WARD, insert_report
from tests.support.people import PersonFactory


async def test_inserted_report_lies_in_its_ward(catalogue: AsyncSession, person: PersonFactory) -> None:
    citizen = await person()
    report = await insert_report(catalogue, reporter=citizen)
    ward = await catalogue.scalar(
        text(
            "SELECT u.code FROM admin_units u JOIN feedback_reports r ON ST_Covers(u.boundary, r.location) "
            "WHERE r.id = :id AND u.level = 'ward'"
        ),
        {"id": report.id},
    )
    assert ward == WARD
    assert report.code.startswith(f"PA-{report.created_at.year}-")


async def test_person_token_is_accepted(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    response = await client.get("/api/v1/me", headers=officer.headers)
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "officer"
