"""A private report is not there for anyone but its reporter and the staff of its unit: not its content,
not its code, not even that it exists."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from feedback.reports.status import ReportStatus
from tests.feedback.support import insert_report
from tests.support.people import PersonFactory


async def test_another_citizen_learns_nothing_of_a_private_report(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    owner, other = await person(), await person()
    report = await insert_report(catalogue, reporter=owner, is_public=False, status=ReportStatus.RESOLVED)

    answers = [
        await client.get(f"/api/v1/feedback/{report.id}", headers=other.headers),
        await client.get(f"/api/v1/feedback/{report.id}"),
        await client.post(
            f"/api/v1/feedback/{report.id}/rate", headers=other.headers, json={"rating": "satisfied"}
        ),
        await client.post(
            f"/api/v1/feedback/{report.id}/reopen", headers=other.headers, json={"reason": "Vẫn còn hỏng"}
        ),
    ]

    for answer in answers:
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "report_not_found"
        assert report.code not in answer.text
    mine = await client.get(f"/api/v1/feedback/{report.id}", headers=owner.headers)
    assert mine.status_code == 200
    assert mine.json()["code"] == report.code
