""" "Me too" and following: one support per citizen, exact counts, the right refusals, and the event."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from core.identity.principal import Role
from feedback.reports.status import ReportStatus
from tests.feedback.lifecycle.helpers import BASE
from tests.feedback.submission.helpers import assert_problem, counts, fresh_categories
from tests.feedback.support import WARD, insert_report
from tests.support.people import PersonFactory

__all__ = ["fresh_categories"]


def _support(report_id: uuid.UUID | str) -> str:
    return f"/api/v1/feedback/{report_id}/support"


def _follow(report_id: uuid.UUID | str) -> str:
    return f"/api/v1/feedback/{report_id}/follow"


async def _counts(session: AsyncSession, report_id: uuid.UUID) -> tuple[int, int]:
    row = (
        await session.execute(
            text("SELECT support_count, follower_count FROM feedback_reports WHERE id = :id"),
            {"id": report_id},
        )
    ).one()
    return row.support_count, row.follower_count


async def _events(session: AsyncSession, report_id: uuid.UUID) -> list[str]:
    rows = await session.execute(
        text("SELECT type FROM event_outbox WHERE subject_id = :id ORDER BY id"), {"id": str(report_id)}
    )
    return list(rows.scalars())


async def test_me_too_counts_once_and_follows(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    report = await insert_report(catalogue, reporter=await person())
    citizen = await person()
    first = await client.post(_support(report.id), headers=citizen.headers)
    assert first.status_code == 201, first.text
    assert first.json() == {
        "report_id": str(report.id),
        "code": report.code,
        "support_count": 1,
        "follower_count": 1,
        "supported": True,
        "following": True,
    }
    again = await client.post(_support(report.id), headers=citizen.headers)
    assert again.status_code == 200
    assert again.json()["support_count"] == 1
    assert await _counts(catalogue, report.id) == (1, 1)
    assert await _events(catalogue, report.id) == ["feedback.supported"]
    event = await catalogue.scalar(
        text("SELECT data FROM event_outbox WHERE subject_id = :id"), {"id": str(report.id)}
    )
    assert event["support_count"] == 1
    second = await person()
    assert (await client.post(_support(report.id), headers=second.headers)).json()["support_count"] == 2
    assert await _counts(catalogue, report.id) == (2, 2)
    supporters = set(
        (
            await catalogue.execute(
                text("SELECT user_id FROM feedback_supports WHERE report_id = :id"), {"id": report.id}
            )
        ).scalars()
    )
    followers = set(
        (
            await catalogue.execute(
                text("SELECT user_id FROM feedback_followers WHERE report_id = :id"), {"id": report.id}
            )
        ).scalars()
    )
    assert supporters == followers == {citizen.id, second.id}


async def test_withdrawing_keeps_the_count_exact(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    report = await insert_report(catalogue, reporter=await person())
    citizen = await person()
    await client.post(_support(report.id), headers=citizen.headers)
    assert (await client.delete(_support(report.id), headers=citizen.headers)).status_code == 204
    assert (await client.delete(_support(report.id), headers=citizen.headers)).status_code == 204
    # Still following until unfollowed.
    assert await _counts(catalogue, report.id) == (0, 1)
    assert (await client.delete(_follow(report.id), headers=citizen.headers)).status_code == 204
    assert await _counts(catalogue, report.id) == (0, 0)
    again = await client.post(_support(report.id), headers=citizen.headers)
    assert again.status_code == 201
    assert await _counts(catalogue, report.id) == (1, 1)


async def test_me_too_refusals_change_nothing(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    owner = await person()
    citizen = await person()
    own = await insert_report(catalogue, reporter=owner)
    closed = await insert_report(catalogue, reporter=owner, status=ReportStatus.RESOLVED)
    private = await insert_report(catalogue, reporter=owner, is_public=False)
    merged = await insert_report(catalogue, reporter=owner, merged_into_id=own.id)
    officer = await person(Role.OFFICER, WARD)
    before = await counts(catalogue)
    assert_problem(await client.post(_support(own.id), headers=owner.headers), 409, "own_report")
    assert_problem(await client.post(_support(closed.id), headers=citizen.headers), 409, "report_not_open")
    assert_problem(await client.post(_support(merged.id), headers=citizen.headers), 409, "report_not_open")
    assert_problem(await client.post(_support(private.id), headers=citizen.headers), 404, "report_not_found")
    assert_problem(
        await client.post(_support(uuid.uuid4()), headers=citizen.headers), 404, "report_not_found"
    )
    assert_problem(await client.post(_support(own.id), headers=officer.headers), 403, "forbidden")
    assert_problem(await client.post(_support(own.id)), 401, "unauthenticated")
    assert_problem(
        await client.delete(_support(private.id), headers=citizen.headers), 404, "report_not_found"
    )
    assert await counts(catalogue) == before
    response = await client.post("/api/v1/feedback/not-a-uuid/support", headers=citizen.headers)
    assert response.status_code == 422


async def test_following_public_and_own_reports(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory
) -> None:
    owner = await person()
    citizen = await person()
    closed = await insert_report(catalogue, reporter=owner, status=ReportStatus.CLOSED)
    private = await insert_report(catalogue, reporter=owner, is_public=False)
    first = await client.post(_follow(closed.id), headers=citizen.headers)
    assert first.status_code == 201, first.text
    assert (first.json()["following"], first.json()["supported"], first.json()["follower_count"]) == (
        True,
        False,
        1,
    )
    assert (await client.post(_follow(closed.id), headers=citizen.headers)).status_code == 200
    assert await _counts(catalogue, closed.id) == (0, 1)
    # One's own private report may be followed; someone else's does not exist for them.
    assert (await client.post(_follow(private.id), headers=owner.headers)).status_code == 201
    before = await counts(catalogue)
    assert_problem(await client.post(_follow(private.id), headers=citizen.headers), 404, "report_not_found")
    assert_problem(await client.delete(_follow(private.id), headers=citizen.headers), 404, "report_not_found")
    assert await counts(catalogue) == before
    assert (await client.delete(_follow(closed.id), headers=citizen.headers)).status_code == 204
    assert (await client.delete(_follow(closed.id), headers=citizen.headers)).status_code == 204
    assert await _counts(catalogue, closed.id) == (0, 0)
    assert await _events(catalogue, closed.id) == []


@pytest.mark.parametrize("status", [ReportStatus.ACCEPTED, ReportStatus.ASSIGNED, ReportStatus.IN_PROGRESS])
async def test_every_open_status_takes_support(
    client: httpx.AsyncClient, catalogue: AsyncSession, person: PersonFactory, status: ReportStatus
) -> None:
    report = await insert_report(catalogue, reporter=await person(), status=status)
    assert (await client.post(_support(report.id), headers=(await person()).headers)).status_code == 201


@contextmanager
def _statements(connection: AsyncConnection) -> Iterator[list[str]]:
    seen_sql: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen_sql.append(statement)

    event.listen(connection.sync_connection, "before_cursor_execute", record)
    try:
        yield seen_sql
    finally:
        event.remove(connection.sync_connection, "before_cursor_execute", record)


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("method", "action"),
    [
        ("POST", "support"),
        ("DELETE", "support"),
        ("POST", "follow"),
        ("DELETE", "follow"),
    ],
)
async def test_support_and_follow_lock_the_report_before_checking_it(
    client: httpx.AsyncClient,
    session: AsyncSession,
    connection: AsyncConnection,
    person: PersonFactory,
    method: str,
    action: str,
) -> None:
    report = await insert_report(session, reporter=await person())
    citizen = await person()
    with _statements(connection) as statements:
        response = await client.request(method, f"{BASE}/{report.id}/{action}", headers=citizen.headers)
    assert response.status_code < 300, response.text
    loads = [
        s
        for s in statements
        if s.lstrip().upper().startswith("SELECT")
        and "FROM feedback_reports" in s
        and "WHERE feedback_reports.id" in s
    ]
    assert loads, statements
    assert "FOR UPDATE" in loads[0], loads[0]
