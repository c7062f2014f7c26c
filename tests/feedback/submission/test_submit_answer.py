"""The answer to a submission is built without reading the report back: it must be exactly what reading it
back gives its reporter."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.feedback.support import IN_WARD
from tests.support.people import PersonFactory


async def test_submit_answer_equals_the_reporters_view(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    submitted = await client.post(
        "/api/v1/feedback",
        headers=citizen.headers,
        json={
            "category_code": "traffic",
            "description": "Đèn tín hiệu hỏng ở ngã tư",
            "location": {"lat": IN_WARD[0], "lon": IN_WARD[1]},
            "address": "Ngã tư Trần Hưng Đạo",
            "urgent": True,
            "anonymous": True,
        },
    )
    assert submitted.status_code == 201, submitted.text
    read_back = await client.get(submitted.headers["location"], headers=citizen.headers)
    assert read_back.status_code == 200, read_back.text
    assert submitted.json() == read_back.json()
    assert [entry["kind"] for entry in submitted.json()["timeline"]] == ["submitted"]
