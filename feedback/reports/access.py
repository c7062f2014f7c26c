"""Loading a report for someone: who may see it, who may act on it.

- The reporter sees and acts on their own report as a citizen.
- Staff see and act on reports whose responsible unit is in their scope; outside it: 403 outside_unit.
- Anyone sees a public report in its public shape; a private report is 404 to everyone else, so its
  existence is not disclosed.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.identity.principal import Principal, Role
from core.identity.scope import outside_unit, unit_scope
from feedback.reports import repository
from feedback.reports.models import Report


class Audience(StrEnum):
    """Which shape of a report a caller gets."""

    PUBLIC = "public"  # anyone: no reporter, no answers, no contact
    REPORTER = "reporter"  # the citizen who filed it
    STAFF = "staff"  # officers, field staff and admins of its unit: everything


def report_not_found(reference: str) -> ProblemError:
    return ProblemError(
        404,
        "report_not_found",
        Message(f"Không tìm thấy phản ánh {reference}", f"No report {reference} was found"),
    )


async def get_report(session: AsyncSession, report_id: uuid.UUID, *, for_update: bool = False) -> Report:
    """The report, locked for the caller's transaction when it is going to change; 404 when missing."""
    report = await repository.report_by_id(session, report_id, for_update=for_update)
    if report is None:
        raise report_not_found(str(report_id))
    return report


async def audience_for(
    session: AsyncSession, principal: Principal | None, report: Report, *, reference: str
) -> Audience:
    """The shape `principal` may see `report` in; 404 when they may not see it at all.

    `reference` is what the caller named the report by (its id or its code): the 404 of a private report
    names only that, so it is byte for byte the 404 of a missing one, and tells neither the report's id nor
    its code to someone who sent the other."""
    if principal is not None:
        if principal.role is Role.CITIZEN and report.reporter_id == principal.user_id:
            return Audience.REPORTER
        if principal.is_staff and (await unit_scope(session, principal)).allows(report.unit_code):
            return Audience.STAFF
    # A merged public report stays readable: those who followed it see where it went.
    if report.is_public:
        return Audience.PUBLIC
    raise report_not_found(reference)


async def ensure_staff_can_act(session: AsyncSession, principal: Principal, report: Report) -> None:
    """Staff acting on a report of a unit outside their scope get 403 outside_unit."""
    if not principal.is_staff:
        raise ProblemError(
            403, "forbidden", Message("Chỉ cán bộ được thực hiện thao tác này", "Only staff may do this")
        )
    if not (await unit_scope(session, principal)).allows(report.unit_code):
        raise outside_unit(report.unit_code)


def ensure_reporter(principal: Principal, report: Report) -> None:
    """Only the citizen who filed the report; anyone else gets 403 not_report_owner, or 404 for a private
    report, whose existence is not theirs to learn."""
    if principal.role is not Role.CITIZEN or report.reporter_id != principal.user_id:
        if not report.is_public:
            raise report_not_found(str(report.id))
        raise ProblemError(
            403,
            "not_report_owner",
            Message(
                f"Chỉ người gửi phản ánh {report.code} mới được thực hiện thao tác này",
                f"Only the reporter of {report.code} may do this",
            ),
        )
