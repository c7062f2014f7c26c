"""Extending a report's resolve deadline: once, by working days or to a moment, how it is judged against
the SLA afterwards, and the moments it refuses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import working_calendar
from core.identity.principal import Role
from core.settings import Settings
from feedback.lifecycle.tasks import run_sla_pass
from feedback.reports.status import ReportStatus
from tests.feedback.lifecycle import helpers as seen
from tests.feedback.lifecycle.helpers import post, problem
from tests.feedback.support import EXTREME_MOMENTS, WARD, insert_report
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")


async def test_extend_deadline_once_with_working_days_or_a_date(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    reporter = await person()
    officer = await person(Role.OFFICER, WARD)
    due = datetime(2030, 3, 1, 10, 30, tzinfo=UTC)  # a Friday
    report = await insert_report(session, reporter=reporter, status=ReportStatus.ASSIGNED, resolve_due_at=due)
    before = await seen.state(session, report.id)
    for bad in (
        {"reason": "x"},
        {"reason": "x", "working_days": 2, "due_at": "2030-03-10T00:00:00Z"},
        {"reason": "x", "working_days": 0},
        {"reason": "x", "due_at": "2030-03-10T00:00:00"},
    ):
        problem(
            await post(client, report.id, "extend-deadline", officer.headers, bad), 422, "validation_error"
        )
    problem(
        await post(
            client,
            report.id,
            "extend-deadline",
            officer.headers,
            {"reason": "x", "due_at": "2030-02-01T00:00:00Z"},
        ),
        422,
        "invalid_deadline",
    )
    problem(
        await post(
            client, report.id, "extend-deadline", reporter.headers, {"reason": "x", "working_days": 1}
        ),
        403,
        "forbidden",
    )
    assert await seen.state(session, report.id) == before

    response = await post(
        client, report.id, "extend-deadline", officer.headers, {"reason": "Chờ vật tư", "working_days": 2}
    )
    assert response.status_code == 200, response.text
    # Two working days after Friday 1 March: Tuesday 5 March, at closing time (17:30 in Vietnam).
    assert response.json()["resolve_due_at"] == "2030-03-05T10:30:00Z"
    assert response.json()["deadline_extended_at"] is not None
    entry = (await seen.timeline(session, report.id))[-1]
    assert entry["kind"] == "deadline_extended"
    assert entry["note"] == "Chờ vật tư"
    assert entry["from_status"] is None
    assert entry["to_status"] is None
    assert entry["data"]["old_due_at"].startswith("2030-03-01T10:30")
    kinds = [t for t, _ in await seen.events(session, report.id)]
    assert kinds == ["feedback.deadline_extended"]
    assert await seen.pushed_users(session, report.id) == [reporter.id]

    again = await seen.state(session, report.id)
    problem(
        await post(
            client,
            report.id,
            "extend-deadline",
            officer.headers,
            {"reason": "x", "due_at": "2031-01-01T00:00:00Z"},
        ),
        409,
        "deadline_already_extended",
    )
    assert await seen.state(session, report.id) == again


async def test_extend_deadline_refuses_a_closed_report(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    report = await insert_report(
        session, reporter=await person(), status=ReportStatus.RESOLVED, resolved_at=datetime.now(UTC)
    )
    problem(
        await post(client, report.id, "extend-deadline", officer.headers, {"reason": "x", "working_days": 1}),
        409,
        "report_not_open",
    )


async def test_extending_an_overdue_report_counts_from_now(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    passed = datetime.now(UTC) - timedelta(days=10)
    report = await insert_report(
        session,
        reporter=await person(),
        status=ReportStatus.IN_PROGRESS,
        resolve_due_at=passed,
        sla_state="overdue",
    )
    response = await post(
        client, report.id, "extend-deadline", officer.headers, {"reason": "Chờ vật tư", "working_days": 3}
    )
    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["resolve_due_at"]) > datetime.now(UTC) + timedelta(days=2)
    # Judged afresh by the next SLA pass.
    assert response.json()["sla_state"] == "on_track"


async def test_extending_a_submitted_overdue_report_does_not_make_it_overdue_twice(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    now = datetime.now(UTC)
    report = await insert_report(
        session,
        reporter=await person(),
        created_at=now - timedelta(days=3),
        acknowledge_due_at=now - timedelta(hours=1),
        resolve_due_at=now + timedelta(days=2),
        sla_state="overdue",
    )
    response = await post(
        client, report.id, "extend-deadline", officer.headers, {"reason": "Cần khảo sát", "working_days": 5}
    )
    assert response.status_code == 200, response.text
    # Still measured against the acknowledge deadline, which has passed.
    assert response.json()["sla_state"] == "overdue"

    session.expire_all()
    result = await run_sla_pass(session, working_calendar(), settings, datetime.now(UTC))
    assert result.overdue == 0
    kinds = [entry["kind"] for entry in await seen.timeline(session, report.id)]
    assert kinds == ["deadline_extended"]


async def test_extending_an_accepted_overdue_report_puts_it_back_on_track(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    now = datetime.now(UTC)
    report = await insert_report(
        session,
        reporter=await person(),
        status=ReportStatus.ACCEPTED,
        created_at=now - timedelta(days=9),
        resolve_due_at=now - timedelta(hours=1),
        sla_state="overdue",
    )
    response = await post(
        client, report.id, "extend-deadline", officer.headers, {"reason": "Chờ vật tư", "working_days": 10}
    )
    assert response.status_code == 200, response.text
    assert response.json()["sla_state"] == "on_track"
    assert (await seen.row(session, report.id))["sla_state"] == "on_track"


@pytest.mark.parametrize("moment", EXTREME_MOMENTS)
async def test_extreme_deadlines_are_validation_errors(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, moment: str
) -> None:
    officer = await person(Role.OFFICER, WARD)
    report = await insert_report(session, reporter=await person(), status=ReportStatus.ACCEPTED)
    before = await seen.state(session, report.id)
    problem(
        await post(
            client, report.id, "extend-deadline", officer.headers, {"reason": "Chờ vật tư", "due_at": moment}
        ),
        422,
        "validation_error",
    )
    assert await seen.state(session, report.id) == before


async def test_a_deadline_with_an_offset_is_stored_in_utc(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    officer = await person(Role.OFFICER, WARD)
    report = await insert_report(session, reporter=await person(), status=ReportStatus.ACCEPTED)
    due = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    local = due.astimezone(datetime.now().astimezone().tzinfo).isoformat()
    response = await post(
        client, report.id, "extend-deadline", officer.headers, {"reason": "Chờ vật tư", "due_at": local}
    )
    assert response.status_code == 200, response.text
    assert datetime.fromisoformat(response.json()["resolve_due_at"]) == due
