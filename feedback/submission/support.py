"""A citizen's "me too" on someone else's open report, and following a report's progress.

Counts are kept exact: the support or follower row is inserted with ON CONFLICT DO NOTHING, and only an
inserted (or deleted) row moves the count, in one atomic UPDATE. The report row is locked first, so a "me too"
or a follow cannot land on a report that a concurrent merge is closing: it waits, then sees it merged.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from core.errors import Message, ProblemError
from feedback.reports import repository as reports_repository
from feedback.reports.access import get_report, report_not_found
from feedback.reports.events import emit_report_event
from feedback.reports.models import Report, ReportFollower, ReportSupport
from feedback.reports.status import OPEN_STATUSES, ReportStatus
from feedback.submission import repository


async def visible_report(session: AsyncSession, report_id: uuid.UUID, user_id: uuid.UUID) -> Report:
    """The report, locked, if it is public or the citizen's own; 404 otherwise, so a private one stays
    unknown."""
    report = await get_report(session, report_id, for_update=True)
    if not report.is_public and report.reporter_id != user_id:
        raise report_not_found(str(report_id))
    return report


async def _move_count(session: AsyncSession, report: Report, column: str, step: int) -> None:
    value = await repository.move_count(session, report.id, column, step)
    # The object learns the new count without becoming dirty (a flush would write it back).
    set_committed_value(report, column, value)


async def has_supported(session: AsyncSession, report_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    return await reports_repository.has_person(session, ReportSupport, report_id, user_id)


async def follow(session: AsyncSession, report_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Report, bool]:
    """Follow a public report or one's own; returns the report and whether the citizen was not following."""
    report = await visible_report(session, report_id, user_id)
    created = await repository.add_person(session, ReportFollower, report.id, user_id)
    if created:
        await _move_count(session, report, "follower_count", 1)
    return report, created


async def unfollow(session: AsyncSession, report_id: uuid.UUID, user_id: uuid.UUID) -> Report:
    report = await visible_report(session, report_id, user_id)
    if await repository.remove_person(session, ReportFollower, report.id, user_id):
        await _move_count(session, report, "follower_count", -1)
    return report


async def support(session: AsyncSession, report_id: uuid.UUID, user_id: uuid.UUID) -> tuple[Report, bool]:
    """Say "me too" on someone else's open report, and follow it; returns the report and whether this is the
    citizen's first support. 409 own_report, 409 report_not_open, 404 for a private report of another."""
    report = await visible_report(session, report_id, user_id)
    if report.reporter_id == user_id:
        raise ProblemError(
            409,
            "own_report",
            Message("Không thể ủng hộ phản ánh của chính bạn", "You cannot support your own report"),
        )
    if ReportStatus(report.status) not in OPEN_STATUSES or report.merged_into_id is not None:
        raise ProblemError(
            409,
            "report_not_open",
            Message(f"Phản ánh {report.code} không còn mở", f"The report {report.code} is no longer open"),
        )
    created = await repository.add_person(session, ReportSupport, report.id, user_id)
    if created:
        await _move_count(session, report, "support_count", 1)
    if await repository.add_person(session, ReportFollower, report.id, user_id):
        await _move_count(session, report, "follower_count", 1)
    if created:
        await emit_report_event(session, "feedback.supported", report)
    return report, created


async def withdraw_support(session: AsyncSession, report_id: uuid.UUID, user_id: uuid.UUID) -> Report:
    """Take back one's "me too" (the citizen keeps following until they unfollow)."""
    report = await visible_report(session, report_id, user_id)
    if await repository.remove_person(session, ReportSupport, report.id, user_id):
        await _move_count(session, report, "support_count", -1)
    return report
