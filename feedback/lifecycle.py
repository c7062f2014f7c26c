"""Moving a report through its life: the one place a change is recorded, and the actions built on it.

Every change locks the report row, checks the move against feedback.status.TRANSITIONS, writes one timeline
entry, updates the report, adds its events to the outbox and queues push notifications for the reporter and
followers, all in the caller's transaction. A refused change raises before anything is touched.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.calendar import WorkingCalendar
from core.errors import Message, ProblemError
from core.identity.models import User
from core.identity.principal import Principal, Role
from core.identity.scope import unit_scope
from core.settings import Settings
from core.units.models import AdminUnit
from feedback.access import ensure_reporter, ensure_staff_can_act, get_report
from feedback.events import emit_report_event
from feedback.models import Department, FeedbackCategory
from feedback.notify import notify_people, status_message
from feedback.report_models import Report, ReportPhoto, TimelineEntry
from feedback.sla_clock import sla_state
from feedback.status import OPEN_STATUSES, CloseReason, Rating, ReportStatus, SlaState, TimelineKind, can_move

# A citizen may reopen a resolved report for this long after it was resolved.
REOPEN_WINDOW = timedelta(days=7)
ASSIGNABLE_ROLES = frozenset({Role.OFFICER, Role.FIELD_STAFF})


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: a user with their role, or the system (SLA task, automatic closing)."""

    id: uuid.UUID | None
    role: str

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(principal.user_id, str(principal.role))


SYSTEM = Actor(None, "system")


def invalid_transition(report: Report, wanted: ReportStatus) -> ProblemError:
    return ProblemError(
        409,
        "invalid_transition",
        Message(
            f"Phản ánh {report.code} đang ở trạng thái {report.status}, không thể chuyển sang {wanted}",
            f"Report {report.code} is {report.status} and cannot move to {wanted}",
        ),
        extensions={"current_status": str(report.status), "wanted_status": str(wanted)},
    )


def not_open(report: Report) -> ProblemError:
    return ProblemError(
        409,
        "report_not_open",
        Message(
            f"Phản ánh {report.code} không còn mở ({report.status})",
            f"Report {report.code} is no longer open ({report.status})",
        ),
        extensions={"current_status": str(report.status)},
    )


def check_move(report: Report, wanted: ReportStatus) -> None:
    if not can_move(report.status, wanted):
        raise invalid_transition(report, wanted)


async def record_change(
    session: AsyncSession,
    report: Report,
    *,
    actor: Actor,
    kind: TimelineKind,
    now: datetime,
    to_status: ReportStatus | None = None,
    note: str | None = None,
    data: dict[str, Any] | None = None,
    events: Sequence[tuple[str, dict[str, Any]]] = (),
    push: Message | None = None,
    notify: bool = True,
) -> TimelineEntry:
    """Record one change of `report` (already locked and updated by the caller, except its status).

    `to_status` moves the report (checked against TRANSITIONS) and adds feedback.status_changed; `events`
    are the change's own event types. `push` overrides the notification's body, the new status by default.
    """
    from_status = report.status
    if to_status is not None:
        check_move(report, to_status)
        report.status = to_status
    report.updated_at = now
    entry = TimelineEntry(
        report_id=report.id,
        at=now,
        kind=kind,
        from_status=from_status if to_status is not None else None,
        to_status=to_status,
        actor_id=actor.id,
        actor_role=actor.role,
        note=note,
        data=data or {},
    )
    session.add(entry)
    if to_status is not None:
        await emit_report_event(
            session,
            "feedback.status_changed",
            report,
            {
                "from_status": str(from_status),
                "to_status": str(to_status),
                "kind": str(kind),
            },
        )
    for type_, extra in events:
        await emit_report_event(session, type_, report, extra)
    if notify:
        await notify_people(session, report, body=push or status_message(report), actor_id=actor.id)
    await session.flush()
    return entry


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


async def start(
    session: AsyncSession, principal: Principal, report_id: uuid.UUID, *, note: str | None, now: datetime
) -> Report:
    report = await _staff_report(session, principal, report_id)
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
    from feedback.photos import attach_checked, ensure_uploads_free

    # Checks ownership and the MAX_PHOTOS limit of this one resolution, and locks the uploads.
    await ensure_uploads_free(session, photo_ids, uploader_id=uploader_id)
    earlier = int(
        await session.scalar(
            select(func.count())
            .select_from(ReportPhoto)
            .where(col(ReportPhoto.report_id) == report.id, col(ReportPhoto.kind) == "proof")
        )
        or 0
    )
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
    new = due_at if due_at is not None else calendar.add_working_days(max(old, now), working_days or 1)
    if new <= old or new <= now:
        raise invalid_deadline(
            Message(
                f"Hạn mới phải sau hạn hiện tại ({old.isoformat()}) và sau thời điểm hiện tại",
                f"The new deadline must be after the current one ({old.isoformat()}) and in the future",
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


# -- the reporter's actions -------------------------------------------------------------------------------


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
