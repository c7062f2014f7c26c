"""The reporter rates the answer once; rating a resolved report closes it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from feedback.reports.status import ReportStatus
from tests.feedback.lifecycle import helpers as seen
from tests.feedback.lifecycle.helpers import post, problem
from tests.feedback.support import WARD, insert_report
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")


async def test_rating_a_resolved_report_closes_it(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter, follower = await person(), await person()
    report = await insert_report(
        session,
        reporter=reporter,
        status=ReportStatus.RESOLVED,
        resolved_at=datetime.now(UTC) - timedelta(hours=2),
    )
    await seen.follow(session, report.id, follower.id)
    response = await post(
        client, report.id, "rate", reporter.headers, {"rating": "very_satisfied", "comment": "Cảm ơn"}
    )
    assert response.status_code == 200, response.text
    read = response.json()
    assert (read["status"], read["close_reason"], read["rating"]) == ("closed", "rated", "very_satisfied")
    assert read["rating_comment"] == "Cảm ơn"
    assert read["rated_at"] is not None
    assert read["timeline"][-1]["kind"] == "rated"
    assert read["timeline"][-1]["data"] == {"rating": "very_satisfied"}
    assert (read["timeline"][-1]["from_status"], read["timeline"][-1]["to_status"]) == ("resolved", "closed")
    events = await seen.events(session, report.id)
    assert [t for t, _ in events] == ["feedback.status_changed", "feedback.rated"]
    assert events[1][1]["rating"] == "very_satisfied"
    assert await seen.pushed_users(session, report.id) == [follower.id]

    before = await seen.state(session, report.id)
    problem(
        await post(client, report.id, "rate", reporter.headers, {"rating": "satisfied"}), 409, "already_rated"
    )
    assert await seen.state(session, report.id) == before


async def test_rating_a_report_closed_by_an_officer_keeps_it_closed(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter = await person()
    now = datetime.now(UTC)
    report = await insert_report(
        session,
        reporter=reporter,
        status=ReportStatus.CLOSED,
        resolved_at=now,
        closed_at=now,
        close_reason="officer",
    )
    response = await post(client, report.id, "rate", reporter.headers, {"rating": "not_satisfied"})
    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["close_reason"]) == ("closed", "officer")
    entry = (await seen.timeline(session, report.id))[-1]
    assert (entry["kind"], entry["from_status"], entry["to_status"]) == ("rated", None, None)
    assert [t for t, _ in await seen.events(session, report.id)] == ["feedback.rated"]


async def test_rating_refusals_change_nothing(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter, stranger = await person(), await person()
    officer = await person(Role.OFFICER, WARD)
    resolved = await insert_report(
        session, reporter=reporter, status=ReportStatus.RESOLVED, resolved_at=datetime.now(UTC)
    )
    in_progress = await insert_report(session, reporter=reporter, status=ReportStatus.IN_PROGRESS)
    before = [await seen.state(session, r.id) for r in (resolved, in_progress)]
    problem(
        await post(client, in_progress.id, "rate", reporter.headers, {"rating": "satisfied"}),
        409,
        "invalid_transition",
    )
    problem(
        await post(client, resolved.id, "rate", stranger.headers, {"rating": "satisfied"}),
        403,
        "not_report_owner",
    )
    problem(
        await post(client, resolved.id, "rate", officer.headers, {"rating": "satisfied"}), 403, "forbidden"
    )
    for bad in ({"rating": "great"}, {"rating": "satisfied", "comment": "x" * 1001}, {}):
        problem(await post(client, resolved.id, "rate", reporter.headers, bad), 422, "validation_error")
    assert [await seen.state(session, r.id) for r in (resolved, in_progress)] == before
