"""Staff actions on a report: accept, reject, assign, start, resolve, close, extend the deadline, reassign.

Each one loads the report locked, checks that the caller's units cover it, and records the change through
feedback/lifecycle/changes.py in the caller's transaction. What the product promises:

- officers (and admins) act on any report of their units;
- field staff start and resolve only the reports assigned to them (403 not_assignee otherwise): the
  assignee is the person the unit answers for;
- a deadline is extended once, to at most `feedback_max_extension_working_days` working days beyond the
  current deadline (or beyond now, when it has passed).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import WorkingCalendar
from core.errors import Message, ProblemError
from core.identity.models import User
from core.identity.principal import Principal, Role
from core.identity.scope import unit_scope
from core.settings import Settings
from core.units.models import AdminUnit
from feedback.catalogue.models import Department
from feedback.lifecycle.changes import Actor, check_move, invalid_transition, not_open, record_change
from feedback.lifecycle.sla_clock import sla_state
from feedback.reports import repository as reports_repository
from feedback.reports.access import ensure_staff_can_act, get_report
from feedback.reports.models import Report
from feedback.reports.status import (
    OPEN_STATUSES,
    CloseReason,
    ReportStatus,
    SlaState,
    TimelineKind,
)

ASSIGNABLE_ROLES = frozenset({Role.OFFICER, Role.FIELD_STAFF})


# -- staff actions ----------------------------------------------------------------------------------------


async def _staff_report(session: AsyncSession, principal: Principal, report_id: uuid.UUID) -> Report:
    report = await get_report(session, report_id, for_update=True)
    await ensure_staff_can_act(session, principal, report)
    return report


async def accept(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, *, note: str | None, now: datetime
) -> Report:
    report = await _staff_report(session, principal, report_id)
    check_move(report, ReportStatus.ACCEPTED)
    report.acknowledged_at = now
    # The acknowledge clock has stopped; the resolve deadline is judged afresh by the SLA task.
    report.sla_state = SlaState.ON_TRACK
    await record_change(
        session,
        report,
        actor=Actor.of(principal),
        kind=TimelineKind.ACCEPTED,
        now=now,
        to_status=ReportStatus.ACCEPTED,
        note=note,
    )
    return report


async def reject(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, *, reason: str, now: datetime
) -> Report:
    report = await _staff_report(session, principal, report_id)
    check_move(report, ReportStatus.REJECTED)
    report.acknowledged_at = report.acknowledged_at or now
    report.status_notes = reason
    report.sla_state = SlaState.ON_TRACK
    await record_change(
        session,
        report,
        actor=Actor.of(principal),
        kind=TimelineKind.REJECTED,
        now=now,
        to_status=ReportStatus.REJECTED,
        note=reason,
    )
    return report


def invalid_assignee(assignee_id: uuid.UUID, report: Report) -> ProblemError:
    return ProblemError(
        422,
        "invalid_assignee",
        Message(
            f"Người được giao {assignee_id} không phải cán bộ phụ trách đơn vị {report.unit_code}",
            f"{assignee_id} is not an officer or field staff member covering unit {report.unit_code}",
        ),
    )


async def _check_assignee(session: AsyncSession, report: Report, assignee_id: uuid.UUID) -> None:
    user = await session.get(User, assignee_id)
    if user is None or not user.is_active or user.deleted_at is not None or user.role not in ASSIGNABLE_ROLES:
        raise invalid_assignee(assignee_id, report)
    scope = await unit_scope(session, Principal(user_id=user.id, role=user.role, unit_code=user.unit_code))
    if not scope.allows(report.unit_code):
        raise invalid_assignee(assignee_id, report)


# Statuses in which the report already has its unit's attention: `assign` then only names (or changes) the
# person, without a status move (after a reassignment to another unit, the new unit names its own).
REASSIGNABLE_STATUSES = frozenset({ReportStatus.ASSIGNED, ReportStatus.IN_PROGRESS})


async def assign(
    session: AsyncSession,
    principal: Principal,
    report_id: uuid.UUID,
    *,
    assignee_id: uuid.UUID | None,
    note: str | None,
    now: datetime,
) -> Report:
    report = await _staff_report(session, principal, report_id)
    to_status: ReportStatus | None = None
    if report.status not in REASSIGNABLE_STATUSES:
        check_move(report, ReportStatus.ASSIGNED)
        to_status = ReportStatus.ASSIGNED
    if assignee_id is not None:
        await _check_assignee(session, report, assignee_id)
    old_assignee = report.assignee_id
    report.assignee_id = assignee_id
    data: dict[str, Any] = {"assignee_id": str(assignee_id)} if assignee_id is not None else {}
    if to_status is None:
        data["from_assignee_id"] = str(old_assignee) if old_assignee is not None else None
        data["assignee_id"] = str(assignee_id) if assignee_id is not None else None
    await record_change(
        session,
        report,
        actor=Actor.of(principal),
        kind=TimelineKind.ASSIGNED,
        now=now,
        to_status=to_status,
        note=note,
        data=data,
        notify=to_status is not None,
    )
    return report


def ensure_assignee_or_officer(principal: Principal, report: Report) -> None:
    """Field staff act only on reports assigned to them; officers and admins on any of their units."""
    if principal.role is Role.FIELD_STAFF and report.assignee_id != principal.user_id:
        raise ProblemError(
            403,
            "not_assignee",
            Message(
                f"Phản ánh {report.code} không được giao cho bạn",
                f"Report {report.code} is not assigned to you",
            ),
        )


async def start(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, *, note: str | None, now: datetime
) -> Report:
    report = await _staff_report(session, principal, report_id)
    ensure_assignee_or_officer(principal, report)
    check_move(report, ReportStatus.IN_PROGRESS)
    await record_change(
        session,
        report,
        actor=Actor.of(principal),
        kind=TimelineKind.STARTED,
        now=now,
        to_status=ReportStatus.IN_PROGRESS,
        note=note,
    )
    return report


async def _attach_proofs(
    session: AsyncSession, report: Report, photo_ids: Sequence[uuid.UUID], *, uploader_id: uuid.UUID
) -> None:
    """Attach the proofs of this resolution. The rule: each resolution brings at most MAX_PHOTOS proofs of
    its own. Proofs of an earlier resolution (before the citizen reopened the report) are kept for history and
    numbered before the new ones, but do not count against the new resolution's limit."""
    # Imported here: photo handling is a separate concern that only resolution with proof needs.
    from feedback.submission.photos import attach_checked, ensure_uploads_free

    # Checks ownership and the MAX_PHOTOS limit of this one resolution, and locks the uploads.
    await ensure_uploads_free(session, photo_ids, uploader_id=uploader_id)
    earlier = await reports_repository.photo_count(session, report.id, "proof")
    await attach_checked(session, report.id, photo_ids, kind="proof", first_position=earlier)


async def resolve(
    session: AsyncSession,
    principal: Principal,
    report_id: uuid.UUID,
    *,
    answer: str,
    proof_photo_ids: Sequence[uuid.UUID],
    now: datetime,
) -> Report:
    report = await _staff_report(session, principal, report_id)
    ensure_assignee_or_officer(principal, report)
    check_move(report, ReportStatus.RESOLVED)
    if proof_photo_ids:
        await _attach_proofs(session, report, proof_photo_ids, uploader_id=principal.user_id)
    report.resolved_at = now
    report.resolution = answer
    report.status_notes = answer
    await record_change(
        session,
        report,
        actor=Actor.of(principal),
        kind=TimelineKind.RESOLVED,
        now=now,
        to_status=ReportStatus.RESOLVED,
        note=answer,
        data={"proof_photo_ids": [str(i) for i in proof_photo_ids]} if proof_photo_ids else {},
    )
    return report


async def close(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, *, note: str | None, now: datetime
) -> Report:
    """An officer closes a resolved report; open reports close only by being merged."""
    report = await _staff_report(session, principal, report_id)
    if report.status != ReportStatus.RESOLVED:
        raise invalid_transition(report, ReportStatus.CLOSED)
    await close_resolved(
        session, report, actor=Actor.of(principal), reason=CloseReason.OFFICER, note=note, now=now
    )
    return report


async def close_resolved(
    session: AsyncSession,
    report: Report,
    *,
    actor: Actor,
    reason: CloseReason,
    note: str | None,
    now: datetime,
) -> None:
    """Close a resolved report (by an officer, or automatically when nobody rated it in time)."""
    check_move(report, ReportStatus.CLOSED)
    report.closed_at = now
    report.close_reason = reason
    await record_change(
        session,
        report,
        actor=actor,
        kind=TimelineKind.CLOSED,
        now=now,
        to_status=ReportStatus.CLOSED,
        note=note,
        data={"close_reason": str(reason)},
    )


def invalid_deadline(message: Message) -> ProblemError:
    return ProblemError(422, "invalid_deadline", message)


async def extend_deadline(
    session: AsyncSession,
    principal: Principal,
    calendar: WorkingCalendar,
    settings: Settings,
    report_id: uuid.UUID,
    *,
    reason: str,
    due_at: datetime | None,
    working_days: int | None,
    now: datetime,
) -> Report:
    report = await _staff_report(session, principal, report_id)
    if report.status not in OPEN_STATUSES:
        raise not_open(report)
    if report.deadline_extended_at is not None:
        raise ProblemError(
            409,
            "deadline_already_extended",
            Message(
                f"Hạn xử lý phản ánh {report.code} đã được gia hạn một lần",
                f"The deadline of report {report.code} has already been extended once",
            ),
        )
    old = report.resolve_due_at
    # Working days run from the current deadline, or from now when it has already passed.
    base = max(old, now)
    most = settings.feedback_max_extension_working_days
    latest = calendar.add_working_days(base, most)
    new = due_at if due_at is not None else calendar.add_working_days(base, working_days or 1)
    if new <= old or new <= now:
        raise invalid_deadline(
            Message(
                f"Hạn mới phải sau hạn hiện tại ({old.isoformat()}) và sau thời điểm hiện tại",
                f"The new deadline must be after the current one ({old.isoformat()}) and in the future",
            )
        )
    if new > latest:
        raise invalid_deadline(
            Message(
                f"Chỉ được gia hạn tối đa {most} ngày làm việc, đến {latest.isoformat()}",
                f"An extension is at most {most} working days, up to {latest.isoformat()}",
            )
        )
    report.resolve_due_at = new
    report.deadline_extended_at = now
    # Judged as the SLA pass judges it: a submitted report is still measured against its acknowledge
    # deadline, which the extension does not move, so an overdue one stays overdue (and is not told twice).
    report.sla_state = sla_state(report, calendar, settings, now)
    facts = {"old_due_at": old.isoformat(), "new_due_at": new.isoformat()}
    await record_change(
        session,
        report,
        actor=Actor.of(principal),
        kind=TimelineKind.DEADLINE_EXTENDED,
        now=now,
        note=reason,
        data=facts,
        events=[("feedback.deadline_extended", facts)],
        push=Message(
            f"Hạn xử lý phản ánh {report.code} đã được gia hạn",
            f"The deadline of report {report.code} has been extended",
        ),
    )
    return report


# -- reassignment -----------------------------------------------------------------------------------------


async def _check_unit(session: AsyncSession, report: Report, unit_code: str) -> None:
    unit = await session.get(AdminUnit, unit_code)
    if unit is None or report.province_code not in (unit.code, unit.parent_code):
        raise ProblemError(
            422,
            "unit_not_found",
            Message(
                f"Không có đơn vị {unit_code} trong tỉnh {report.province_code}",
                f"No unit {unit_code} in province {report.province_code}",
            ),
        )


async def _check_department(session: AsyncSession, report: Report, department_code: str) -> None:
    department = await session.get(Department, department_code)
    if department is None or not department.active or department.province_code != report.province_code:
        raise ProblemError(
            422,
            "department_not_found",
            Message(
                f"Không có cơ quan {department_code} trong tỉnh {report.province_code}",
                f"No department {department_code} in province {report.province_code}",
            ),
        )


async def reassign(
    session: AsyncSession,
    principal: Principal,
    report_id: uuid.UUID,
    *,
    unit_code: str | None,
    department_code: str | None,
    reason: str,
    now: datetime,
) -> Report:
    """Hand an open report to another unit and/or department of the same province."""
    report = await _staff_report(session, principal, report_id)
    if report.status not in OPEN_STATUSES:
        raise not_open(report)
    if unit_code is not None:
        await _check_unit(session, report, unit_code)
    if department_code is not None:
        await _check_department(session, report, department_code)
    old_unit, old_department = report.unit_code, report.department_code
    new_unit = unit_code or old_unit
    if new_unit != old_unit:
        # The assignee belonged to the old unit's staff.
        report.assignee_id = None
    report.unit_code = new_unit
    report.department_code = department_code or old_department
    facts = {
        "from_unit_code": old_unit,
        "to_unit_code": report.unit_code,
        "from_department_code": old_department,
        "to_department_code": report.department_code,
    }
    await record_change(
        session,
        report,
        actor=Actor.of(principal),
        kind=TimelineKind.REASSIGNED,
        now=now,
        note=reason,
        data=facts,
        events=[("feedback.reassigned", facts)],
        push=Message(
            f"Phản ánh {report.code} đã được chuyển cho đơn vị khác xử lý",
            f"Report {report.code} has been passed to another office",
        ),
    )
    return report
