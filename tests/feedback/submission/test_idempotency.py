"""Idempotency-Key: a retried submission returns the same report, never a second one, even when two identical
requests race; a key reused for another body is refused and changes nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from core.calendar import working_calendar
from core.identity.models import User
from core.identity.principal import Role
from feedback.submission.idempotency import Idempotency, request_hash, user_owner
from feedback.submission.service import NewReport, submit_report
from tests.feedback.submission.helpers import (
    SUBMIT,
    assert_problem,
    body,
    counts,
    fresh_categories,
    jpeg_with_gps,
    multipart,
    png,
)
from tests.feedback.support import IN_WARD
from tests.support.committed import committed_catalogue
from tests.support.people import PersonFactory

__all__ = ["fresh_categories"]


def _key() -> dict[str, str]:
    return {"Idempotency-Key": f"submit-{uuid.uuid4()}"}


async def test_a_retry_returns_the_same_report(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    headers = {**citizen.headers, **_key()}
    first = await client.post(SUBMIT, json=body(), headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    after_first = await counts(catalogue)
    # The same document with other spacing and key order is the same request.
    raw = json.dumps(dict(reversed(list(body().items()))), indent=2)
    again = await client.post(SUBMIT, content=raw, headers={**headers, "content-type": "application/json"})
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["code"] == first.json()["code"]
    assert await counts(catalogue) == after_first


async def test_a_key_reused_for_another_body_is_refused(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    headers = {**citizen.headers, **_key()}
    assert (await client.post(SUBMIT, json=body(), headers=headers)).status_code == 201
    before = await counts(catalogue)
    assert_problem(
        await client.post(SUBMIT, json=body(urgent=True), headers=headers), 422, "idempotency_key_reused"
    )
    assert await counts(catalogue) == before


async def test_keys_belong_to_their_caller(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    key = _key()
    first = await client.post(SUBMIT, json=body(), headers={**(await person()).headers, **key})
    second = await client.post(SUBMIT, json=body(), headers={**(await person()).headers, **key})
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]


async def test_multipart_replay_compares_the_photos(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    headers = {**citizen.headers, **_key()}
    photo = jpeg_with_gps()
    first = await client.post(SUBMIT, headers=headers, **multipart(body(), [photo]))
    assert first.status_code == 201, first.text
    before = await counts(catalogue)
    again = await client.post(SUBMIT, headers=headers, **multipart(body(), [photo]))
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["photos"] == first.json()["photos"]
    assert_problem(
        await client.post(SUBMIT, headers=headers, **multipart(body(), [png()])),
        422,
        "idempotency_key_reused",
    )
    assert await counts(catalogue) == before


@pytest.mark.parametrize("key", ["", "with space", "x" * 101, "tab\there"])
async def test_invalid_keys_are_refused(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory, key: str
) -> None:
    citizen = await person()
    before = await counts(catalogue)
    problem = assert_problem(
        await client.post(SUBMIT, json=body(), headers={**citizen.headers, "Idempotency-Key": key}),
        422,
        "validation_error",
    )
    assert problem["errors"][0]["location"] == ["header", "Idempotency-Key"]
    assert await counts(catalogue) == before


async def test_a_key_of_100_visible_characters_is_accepted(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    key = "~!" * 50
    response = await client.post(SUBMIT, json=body(), headers={**citizen.headers, "Idempotency-Key": key})
    assert response.status_code == 201, response.text
    stored = await catalogue.scalar(
        text("SELECT report_id FROM feedback_idempotency_keys WHERE owner = :o"),
        {"o": user_owner(citizen.id)},
    )
    assert str(stored) == response.json()["id"]


# Racing requests need their own connections and committed reference data; the test removes what it wrote.


@pytest.fixture
async def committed_citizen(engine: AsyncEngine) -> AsyncIterator[uuid.UUID]:
    async with committed_catalogue(engine):
        async with AsyncSession(engine, expire_on_commit=False) as session:
            user = User(
                id=uuid.uuid4(),
                role=Role.CITIZEN,
                phone=f"+8490{uuid.uuid4().int % 10**7:07d}",
                display_name="Người thử đua",
            )
            session.add(user)
            await session.commit()
        try:
            yield user.id
        finally:
            async with AsyncSession(engine) as session:
                ids = list(
                    (
                        await session.execute(
                            text("SELECT id FROM feedback_reports WHERE reporter_id = :u"), {"u": user.id}
                        )
                    ).scalars()
                )
                if ids:
                    await session.execute(
                        text("DELETE FROM event_outbox WHERE subject_id = ANY(:ids)"),
                        {"ids": [str(report_id) for report_id in ids]},
                    )
                    await session.execute(
                        text("DELETE FROM feedback_reports WHERE id = ANY(:ids)"), {"ids": ids}
                    )
                await session.execute(text("DELETE FROM users WHERE id = :u"), {"u": user.id})
                await session.commit()


async def test_racing_identical_requests_make_one_report(
    engine: AsyncEngine, committed_citizen: uuid.UUID
) -> None:
    lat, lon = IN_WARD
    new = NewReport(
        category_code="road_damage",
        description="Ổ gà",
        lat=lat,
        lon=lon,
        reporter_id=committed_citizen,
        answers={"size": "small"},
    )
    calendar = working_calendar()

    async def submit(idempotency: Idempotency) -> tuple[uuid.UUID, bool]:
        async with AsyncSession(engine, expire_on_commit=False) as session, session.begin():
            report, created = await submit_report(session, calendar, new, idempotency=idempotency)
            # Hold the transaction open a moment, so the other request surely arrives meanwhile.
            await session.execute(text("SELECT pg_sleep(0.05)"))
            return report.id, created

    for attempt in range(5):
        idempotency = Idempotency(
            user_owner(committed_citizen), f"race-{attempt}", request_hash({"attempt": attempt})
        )
        results = await asyncio.gather(*(submit(replace(idempotency)) for _ in range(3)))
        assert len({report_id for report_id, _ in results}) == 1, results
        assert sorted(created for _, created in results) == [False, False, True]
    async with AsyncSession(engine) as session:
        made = await session.scalar(
            text("SELECT count(*) FROM feedback_reports WHERE reporter_id = :u"), {"u": committed_citizen}
        )
    assert made == 5
