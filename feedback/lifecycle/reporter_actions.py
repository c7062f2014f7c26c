"""The reporter's actions on their own report: reopening it when the problem is not fixed, and rating the
answer."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.errors import Message, ProblemError
from core.identity.principal import Principal
from feedback.catalogue.models import FeedbackCategory
from feedback.lifecycle.changes import Actor, check_move, invalid_transition, record_change
from feedback.reports.access import ensure_reporter, get_report
from feedback.reports.models import Report
from feedback.reports.status import (
    CloseReason,
    Rating,
    ReportStatus,
    SlaState,
    TimelineKind,
)

# A citizen may reopen a resolved report for this long after it was resolved.
REOPEN_WINDOW = timedelta(days=7)


async def _own_report(session: AsyncSession, principal: Principal, report_id: uuid.UUID) -> Report:
    report = await get_report(session, report_id, for_update=True)
    ensure_reporter(principal, report)
    return report


async def reopen(
    session: AsyncSession,
    principal: Principal,
    calendar: WorkingCalendar,
    report_id: uuid.UUID,
    *,
    reason: str,
    now: datetime,
) -> Report:
    report = await _own_report(session, principal, report_id)
    if (
        report.status not in (ReportStatus.RESOLVED, ReportStatus.CLOSED)
        or report.resolved_at is None
        or report.close_reason == CloseReason.MERGED
    ):
        raise invalid_transition(report, ReportStatus.ASSIGNED)
    check_move(report, ReportStatus.ASSIGNED)
    if now > report.resolved_at + REOPEN_WINDOW:
        raise ProblemError(
            409,
            "reopen_window_passed",
            Message(
                f"Chỉ được mở lại phản ánh trong {REOPEN_WINDOW.days} ngày sau khi xử lý xong",
                f"A report can be reopened only within {REOPEN_WINDOW.days} days of its resolution",
            ),
        )
    category = await session.get(FeedbackCategory, report.category_code)
    days = category.sla_resolve_working_days if category is not None else 1
    old_due = report.resolve_due_at
    report.resolve_due_at = calendar.add_working_days(now, days)
    report.reopen_count += 1
    report.rating = None
    report.rating_comment = None
    report.rated_at = None
    report.resolved_at = None
    report.closed_at = None
    report.close_reason = None
    # The old answer is no longer true while the report is worked again; the timeline keeps it.
    report.resolution = None
    report.status_notes = None
    # A new resolve deadline: a new extension may be granted against it.
    report.deadline_extended_at = None
    report.sla_state = SlaState.ON_TRACK
    await record_change(
        session,
        report,
        actor=Actor.of(principal),
        kind=TimelineKind.REOPENED,
        now=now,
        to_status=ReportStatus.ASSIGNED,
        note=reason,
        data={
            "old_due_at": old_due.isoformat(),
            "new_due_at": report.resolve_due_at.isoformat(),
            "reopen_count": report.reopen_count,
        },
    )
    return report


async def rate(
    session: AsyncSession,
    principal: Principal,
    report_id: uuid.UUID,
    *,
    rating: Rating,
    comment: str | None,
    now: datetime,
) -> Report:
    """The reporter rates the answer once; rating a resolved report closes it."""
    report = await _own_report(session, principal, report_id)
    if report.rating is not None:
        raise ProblemError(
            409,
            "already_rated",
            Message(
                f"Phản ánh {report.code} đã được đánh giá", f"Report {report.code} has already been rated"
            ),
        )
    closed_by_officer = (
        report.status == ReportStatus.CLOSED
        and report.close_reason == CloseReason.OFFICER
        and report.resolved_at is not None
    )
    if report.status != ReportStatus.RESOLVED and not closed_by_officer:
        raise invalid_transition(report, ReportStatus.CLOSED)
    report.rating = rating
    report.rating_comment = comment
    report.rated_at = now
    to_status: ReportStatus | None = None
    if report.status == ReportStatus.RESOLVED:
        check_move(report, ReportStatus.CLOSED)
        report.closed_at = now
        report.close_reason = CloseReason.RATED
        to_status = ReportStatus.CLOSED
    await record_change(
        session,
        report,
        actor=Actor.of(principal),
        kind=TimelineKind.RATED,
        now=now,
        to_status=to_status,
        note=comment,
        data={"rating": str(rating)},
        events=[("feedback.rated", {"rating": str(rating)})],
        push=Message(f"Phản ánh {report.code} đã được đánh giá", f"Report {report.code} has been rated"),
    )
    return report
