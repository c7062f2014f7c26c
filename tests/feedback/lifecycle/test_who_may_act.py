"""What the product promises about staff actions: field staff start and resolve only the reports assigned to
them, officers any report of their units; a deadline extension reaches at most
`feedback_max_extension_working_days` working days beyond the current deadline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import working_calendar
from core.identity.principal import Role
from core.settings import Settings
from feedback.reports.status import ReportStatus
from tests.feedback.lifecycle import helpers as seen
from tests.feedback.lifecycle.helpers import post, problem
from tests.feedback.support import WARD, insert_report
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")


async def test_field_staff_act_only_on_reports_assigned_to_them(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    assignee, colleague = await person(Role.FIELD_STAFF, WARD), await person(Role.FIELD_STAFF, WARD)
    report = await insert_report(
        session, reporter=await person(), status=ReportStatus.ASSIGNED, assignee_id=assignee.id
    )
    unassigned = await insert_report(session, reporter=await person(), status=ReportStatus.ASSIGNED)
    before = await seen.state(session, report.id)
    problem(await post(client, report.id, "start", colleague.headers), 403, "not_assignee")
    problem(await post(client, unassigned.id, "start", colleague.headers), 403, "not_assignee")
    assert await seen.state(session, report.id) == before

    started = await post(client, report.id, "start", assignee.headers)
    assert started.status_code == 200, started.text
    problem(
        await post(client, report.id, "resolve", colleague.headers, {"answer": "Xong"}), 403, "not_assignee"
    )
    resolved = await post(client, report.id, "resolve", assignee.headers, {"answer": "Đã vá"})
    assert resolved.status_code == 200, resolved.text


async def test_officers_act_on_any_report_of_their_unit(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    officer, assignee = await person(Role.OFFICER, WARD), await person(Role.FIELD_STAFF, WARD)
    report = await insert_report(
        session, reporter=await person(), status=ReportStatus.ASSIGNED, assignee_id=assignee.id
    )
    assert (await post(client, report.id, "start", officer.headers)).status_code == 200
    resolved = await post(client, report.id, "resolve", officer.headers, {"answer": "Đã vá"})
    assert resolved.status_code == 200, resolved.text


@pytest.mark.parametrize("far", ["2999-12-31T00:00:00Z", "beyond the limit"])
async def test_an_extension_is_bounded_beyond_the_current_deadline(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, settings: Settings, far: str
) -> None:
    officer = await person(Role.OFFICER, WARD)
    due = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    report = await insert_report(
        session, reporter=await person(), status=ReportStatus.ACCEPTED, resolve_due_at=due
    )
    limit = working_calendar().add_working_days(due, settings.feedback_max_extension_working_days)
    moment = far if far.startswith("2999") else (limit + timedelta(minutes=1)).isoformat()
    before = await seen.state(session, report.id)
    body = problem(
        await post(
            client, report.id, "extend-deadline", officer.headers, {"reason": "Chờ", "due_at": moment}
        ),
        422,
        "invalid_deadline",
    )
    assert str(settings.feedback_max_extension_working_days) in body["detail"]
    too_many = {"reason": "Chờ", "working_days": settings.feedback_max_extension_working_days + 1}
    problem(
        await post(client, report.id, "extend-deadline", officer.headers, too_many), 422, "invalid_deadline"
    )
    assert await seen.state(session, report.id) == before

    at_limit = await post(
        client, report.id, "extend-deadline", officer.headers, {"reason": "Chờ", "due_at": limit.isoformat()}
    )
    assert at_limit.status_code == 200, at_limit.text
