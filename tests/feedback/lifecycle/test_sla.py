"""The SLA pass at controlled moments: on track, due soon, overdue (counted in office hours, across weekends
and Tết), back on track after a deadline moved, and automatic closing of resolved reports nobody rated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import LOCAL_ZONE, working_calendar
from core.identity.principal import Role
from core.settings import Settings
from feedback.lifecycle.tasks import LOOKAHEAD, run_sla_pass
from feedback.reports.status import ReportStatus
from tests.feedback.lifecycle import helpers as seen
from tests.feedback.support import OTHER_WARD, PROVINCE, WARD, insert_report
from tests.support.people import PersonFactory

pytestmark = pytest.mark.usefixtures("catalogue")


def local(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A moment given on Vietnam's clock, in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=LOCAL_ZONE).astimezone(UTC)


async def unit_pushes(session: AsyncSession, code: str) -> list[str]:
    rows = await session.execute(
        text(
            "SELECT topic FROM notifications WHERE data->>'code' = :code AND topic IS NOT NULL ORDER BY topic"
        ),
        {"code": code},
    )
    return [r.topic for r in rows]


async def test_a_submitted_report_goes_due_soon_then_overdue_once(
    session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    calendar = working_calendar()
    due = local(2030, 3, 6, 10, 0)  # a Wednesday
    report = await insert_report(
        session,
        reporter=await person(),
        created_at=due - timedelta(days=1),
        acknowledge_due_at=due,
        resolve_due_at=due + timedelta(days=7),
    )

    quiet = await run_sla_pass(session, calendar, settings, local(2030, 3, 5, 8, 0))
    assert quiet.checked == 1
    assert (quiet.due_soon, quiet.overdue) == (0, 0)
    assert (await seen.row(session, report.id))["sla_state"] == "on_track"
    assert await seen.timeline(session, report.id) == []

    soon = await run_sla_pass(session, calendar, settings, local(2030, 3, 5, 14, 0))
    assert soon.due_soon == 1
    assert (await seen.row(session, report.id))["sla_state"] == "due_soon"
    [entry] = await seen.timeline(session, report.id)
    assert (entry["kind"], entry["actor_role"], entry["actor_id"]) == ("due_soon", "system", None)
    assert entry["data"] == {"due_at": due.isoformat()}
    assert await unit_pushes(session, report.code) == []

    late = local(2030, 3, 6, 10, 1)
    overdue = await run_sla_pass(session, calendar, settings, late)
    assert overdue.overdue == 1
    again = await run_sla_pass(session, calendar, settings, late + timedelta(hours=1))
    assert (again.due_soon, again.overdue) == (0, 0)

    assert (await seen.row(session, report.id))["sla_state"] == "overdue"
    assert [t["kind"] for t in await seen.timeline(session, report.id)] == ["due_soon", "overdue"]
    events = await seen.events(session, report.id)
    assert [t for t, _ in events] == ["feedback.due_soon", "feedback.overdue"]
    assert events[1][1]["sla_state"] == "overdue"
    # Staff hear of it one by one; nothing goes to the ward's public topics, which citizens subscribe to.
    assert await unit_pushes(session, report.code) == []
    # The citizen is not pushed about internal deadlines.
    assert await seen.pushed_users(session, report.id) == []


async def test_overdue_reports_are_pushed_to_the_units_staff_only(
    session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    calendar = working_calendar()
    due = local(2030, 3, 6, 10, 0)
    reporter = await person()
    ward_officer, province_officer = await person(Role.OFFICER, WARD), await person(Role.OFFICER, PROVINCE)
    assignee, other_field = await person(Role.FIELD_STAFF, WARD), await person(Role.FIELD_STAFF, WARD)
    elsewhere, admin = await person(Role.OFFICER, OTHER_WARD), await person(Role.ADMIN)
    report = await insert_report(
        session,
        reporter=reporter,
        status=ReportStatus.ASSIGNED,
        assignee_id=assignee.id,
        is_public=False,
        created_at=due - timedelta(days=8),
        acknowledge_due_at=due - timedelta(days=7),
        resolve_due_at=due,
    )
    result = await run_sla_pass(session, calendar, settings, local(2030, 3, 6, 10, 1))
    assert result.overdue == 1
    assert await unit_pushes(session, report.code) == []
    told = set(await seen.pushed_users(session, report.id))
    assert told == {ward_officer.id, province_officer.id, assignee.id}
    assert not told & {reporter.id, other_field.id, elsewhere.id, admin.id}


async def test_office_hours_not_wall_clock_across_a_weekend(
    session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    calendar = working_calendar()
    monday = local(2030, 3, 4, 10, 0)
    report = await insert_report(
        session,
        reporter=await person(),
        status=ReportStatus.IN_PROGRESS,
        acknowledge_due_at=monday - timedelta(days=10),
        resolve_due_at=monday,
    )
    # Thursday 16:00: 1.5 h on Thursday, 8 h on Friday, 2 h on Monday: on track (and the acknowledge
    # deadline long gone does not matter any more).
    await run_sla_pass(session, calendar, settings, local(2030, 2, 28, 16, 0))
    assert (await seen.row(session, report.id))["sla_state"] == "on_track"
    # Friday 16:00: almost three days away by the clock, 3.5 office hours.
    result = await run_sla_pass(session, calendar, settings, local(2030, 3, 1, 16, 0))
    assert result.due_soon == 1
    assert (await seen.row(session, report.id))["sla_state"] == "due_soon"


async def test_tet_holidays_count_zero_and_are_within_the_lookahead(
    session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    calendar = working_calendar()
    now = local(2027, 2, 4, 15, 0)  # the last days before Tết 2027
    due = calendar.add_working_hours(now, 6)
    assert due - now > timedelta(days=5)
    assert due - now < LOOKAHEAD
    report = await insert_report(
        session,
        reporter=await person(),
        status=ReportStatus.ASSIGNED,
        acknowledge_due_at=now,
        resolve_due_at=due,
    )
    result = await run_sla_pass(session, calendar, settings, now)
    assert result.due_soon == 1
    assert (await seen.row(session, report.id))["sla_state"] == "due_soon"


async def test_far_deadlines_are_not_even_read_and_moved_ones_go_back_on_track(
    session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    calendar = working_calendar()
    now = local(2030, 3, 5, 9, 0)
    far = await insert_report(
        session,
        reporter=await person(),
        status=ReportStatus.ACCEPTED,
        acknowledge_due_at=now - timedelta(days=1),
        resolve_due_at=now + timedelta(days=30),
    )
    extended = await insert_report(
        session,
        reporter=await person(),
        status=ReportStatus.ASSIGNED,
        sla_state="overdue",
        resolve_due_at=now + timedelta(days=3),
    )
    result = await run_sla_pass(session, calendar, settings, now)
    assert result.checked == 1  # the far one is not even read
    assert result.back_on_track == 1
    assert (await seen.row(session, extended.id))["sla_state"] == "on_track"
    assert (await seen.row(session, far.id))["sla_state"] == "on_track"
    assert await seen.timeline(session, extended.id) == []
    assert await seen.events(session, extended.id) == []


async def test_closed_and_rejected_reports_are_left_alone(
    session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    now = local(2030, 3, 5, 9, 0)
    rejected = await insert_report(
        session,
        reporter=await person(),
        status=ReportStatus.REJECTED,
        acknowledge_due_at=now - timedelta(days=3),
        resolve_due_at=now - timedelta(days=1),
    )
    result = await run_sla_pass(session, working_calendar(), settings, now)
    assert result.checked == 0
    assert (await seen.row(session, rejected.id))["sla_state"] == "on_track"


async def test_resolved_reports_nobody_rated_are_closed_automatically(
    session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    reporter, follower = await person(), await person()
    now = datetime.now(UTC)
    days = settings.feedback_auto_close_days
    stale = await insert_report(
        session,
        reporter=reporter,
        status=ReportStatus.RESOLVED,
        resolved_at=now - timedelta(days=days, minutes=1),
    )
    await seen.follow(session, stale.id, follower.id)
    fresh = await insert_report(
        session, reporter=reporter, status=ReportStatus.RESOLVED, resolved_at=now - timedelta(days=days - 1)
    )
    result = await run_sla_pass(session, working_calendar(), settings, now)
    assert result.auto_closed == 1

    closed = await seen.row(session, stale.id)
    assert (closed["status"], closed["close_reason"]) == ("closed", "auto_closed")
    assert closed["closed_at"] is not None
    [entry] = await seen.timeline(session, stale.id)
    assert (entry["kind"], entry["from_status"], entry["to_status"]) == ("closed", "resolved", "closed")
    assert entry["actor_role"] == "system"
    assert [t for t, _ in await seen.events(session, stale.id)] == ["feedback.status_changed"]
    assert sorted(await seen.pushed_users(session, stale.id)) == sorted([reporter.id, follower.id])
    assert (await seen.row(session, fresh.id))["status"] == "resolved"


async def test_stale_uploads_are_removed(
    session: AsyncSession, settings: Settings, person: PersonFactory
) -> None:
    uploader = await person()
    old = datetime.now(UTC) - timedelta(days=2)
    for created in (old, datetime.now(UTC)):
        await session.execute(
            text(
                "INSERT INTO feedback_photos (id, uploader_id, media_key, thumbnail_key, content_type, "
                "width, height, byte_size, created_at) "
                "VALUES (gen_random_uuid(), :u, 'missing.jpg', 'missing-t.jpg', 'image/jpeg', 1, 1, 1, :c)"
            ),
            {"u": uploader.id, "c": created},
        )
    result = await run_sla_pass(session, working_calendar(), settings, datetime.now(UTC))
    assert result.stale_uploads_deleted == 1
    left = await session.scalar(
        text("SELECT count(*) FROM feedback_photos WHERE uploader_id = :u"), {"u": uploader.id}
    )
    assert left == 1
