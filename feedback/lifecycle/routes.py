"""Moving reports through their life: accept, reject, assign, start, resolve, close, reopen, extend,
reassign, merge, rate.

Staff actions answer with the staff view of the report, the reporter's actions with the reporter's view.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import working_calendar
from core.http.deps import SessionDep, SettingsDep
from core.http.policies import Citizen, Officer, Staff
from core.http.responses import UNAUTHENTICATED, Responses, problem, responses
from core.identity.principal import Principal
from core.media.signing import media_urls
from core.settings import Settings
from feedback.lifecycle import merge, reporter_actions, service
from feedback.lifecycle.schemas import (
    AssignBody,
    ExtendDeadlineBody,
    MergeBody,
    NoteBody,
    RateBody,
    ReassignBody,
    RejectBody,
    ReopenBody,
    ResolveBody,
)
from feedback.reports.access import Audience
from feedback.reports.models import Report
from feedback.reports.read import build_report_read
from feedback.reports.schemas import ReportRead, StaffReportRead

PREFIX = "/api/v1/feedback"

NO_SUCH_REPORT = problem(404, "No such report (code report_not_found)")
STAFF_ERRORS = responses(
    UNAUTHENTICATED,
    problem(
        403,
        "Not allowed for this role (code forbidden), or the report's unit is not one of the "
        "caller's (code outside_unit)",
    ),
    NO_SUCH_REPORT,
    problem(
        409,
        "The report is not in a status that allows this (code invalid_transition, "
        "report_not_open, deadline_already_extended or invalid_merge)",
    ),
)
# Start and resolve: field staff act only on the reports assigned to them.
ASSIGNEE_ERRORS = responses(
    STAFF_ERRORS,
    problem(
        403,
        "Not allowed for this role (code forbidden), the report's unit is not one of the caller's (code "
        "outside_unit), or field staff on a report not assigned to them (code not_assignee)",
    ),
)
REPORTER_ERRORS = responses(
    UNAUTHENTICATED,
    problem(403, "Citizens only (code forbidden), and only on their own report (code not_report_owner)"),
    NO_SUCH_REPORT,
    problem(
        409,
        "The report is not in a status that allows this (code invalid_transition, "
        "reopen_window_passed or already_rated)",
    ),
)


def _with_422(errors: Responses, text: str) -> Responses:
    also = f", or {text}" if text else ""
    return responses(errors, problem(422, f"The body is not valid (code validation_error){also}"))


router = APIRouter(prefix=PREFIX, tags=["feedback"])


async def _staff_view(
    db: AsyncSession, report: Report, principal: Principal, settings: Settings
) -> StaffReportRead:
    await db.flush()
    view = await build_report_read(
        db,
        report,
        Audience.STAFF,
        viewer_id=principal.user_id,
        media=media_urls(settings),
    )
    assert isinstance(view, StaffReportRead)
    return view


async def _reporter_view(
    db: AsyncSession, report: Report, principal: Principal, settings: Settings
) -> ReportRead:
    await db.flush()
    return await build_report_read(
        db,
        report,
        Audience.REPORTER,
        viewer_id=principal.user_id,
        media=media_urls(settings),
    )  # type: ignore[return-value]


def _now() -> datetime:
    return datetime.now(UTC)


@router.post(
    "/{report_id}/accept",
    response_model=StaffReportRead,
    responses=_with_422(STAFF_ERRORS, ""),
    summary="Accept a submitted report (officers)",
)
async def accept(
    report_id: uuid.UUID, body: NoteBody, db: SessionDep, principal: Officer, settings: SettingsDep
) -> StaffReportRead:
    report = await service.accept(db, principal, report_id, note=body.note, now=_now())
    return await _staff_view(db, report, principal, settings)


@router.post(
    "/{report_id}/reject",
    response_model=StaffReportRead,
    responses=_with_422(STAFF_ERRORS, ""),
    summary="Reject a submitted or accepted report, with a public reason (officers)",
)
async def reject(
    report_id: uuid.UUID, body: RejectBody, db: SessionDep, principal: Officer, settings: SettingsDep
) -> StaffReportRead:
    report = await service.reject(db, principal, report_id, reason=body.reason, now=_now())
    return await _staff_view(db, report, principal, settings)


@router.post(
    "/{report_id}/assign",
    response_model=StaffReportRead,
    responses=_with_422(
        STAFF_ERRORS, "the assignee is not staff of the report's unit (code invalid_assignee)"
    ),
    summary="Assign an accepted report, optionally to a staff member of its unit, or change the "
    "assignee of an assigned or in-progress report (officers)",
)
async def assign(
    report_id: uuid.UUID, body: AssignBody, db: SessionDep, principal: Officer, settings: SettingsDep
) -> StaffReportRead:
    report = await service.assign(
        db, principal, report_id, assignee_id=body.assignee_id, note=body.note, now=_now()
    )
    return await _staff_view(db, report, principal, settings)


@router.post(
    "/{report_id}/start",
    response_model=StaffReportRead,
    responses=_with_422(ASSIGNEE_ERRORS, ""),
    summary="Start work on an assigned report (officers, or the field staff it is assigned to)",
)
async def start(
    report_id: uuid.UUID, body: NoteBody, db: SessionDep, principal: Staff, settings: SettingsDep
) -> StaffReportRead:
    report = await service.start(db, principal, report_id, note=body.note, now=_now())
    return await _staff_view(db, report, principal, settings)


@router.post(
    "/{report_id}/resolve",
    response_model=StaffReportRead,
    responses=_with_422(
        ASSIGNEE_ERRORS,
        "a proof photo is unknown (code photo_not_found) or there are too many (code too_many_photos)",
    ),
    summary="Resolve a report in progress with a public answer and proof photos (officers, or its assignee)",
)
async def resolve(
    report_id: uuid.UUID, body: ResolveBody, db: SessionDep, principal: Staff, settings: SettingsDep
) -> StaffReportRead:
    report = await service.resolve(
        db, principal, report_id, answer=body.answer, proof_photo_ids=body.proof_photo_ids, now=_now()
    )
    return await _staff_view(db, report, principal, settings)


@router.post(
    "/{report_id}/close",
    response_model=StaffReportRead,
    responses=_with_422(STAFF_ERRORS, ""),
    summary="Close a resolved report (officers)",
)
async def close(
    report_id: uuid.UUID, body: NoteBody, db: SessionDep, principal: Officer, settings: SettingsDep
) -> StaffReportRead:
    report = await service.close(db, principal, report_id, note=body.note, now=_now())
    return await _staff_view(db, report, principal, settings)


@router.post(
    "/{report_id}/extend-deadline",
    response_model=StaffReportRead,
    responses=_with_422(
        STAFF_ERRORS,
        "the new deadline is not later, or further than the allowed working days beyond the current one "
        "(code invalid_deadline)",
    ),
    summary="Extend an open report's resolve deadline, once (officers)",
)
async def extend_deadline(
    report_id: uuid.UUID,
    body: ExtendDeadlineBody,
    db: SessionDep,
    principal: Officer,
    settings: SettingsDep,
) -> StaffReportRead:
    report = await service.extend_deadline(
        db,
        principal,
        working_calendar(),
        settings,
        report_id,
        reason=body.reason,
        due_at=body.due_at,
        working_days=body.working_days,
        now=_now(),
    )
    return await _staff_view(db, report, principal, settings)


@router.post(
    "/{report_id}/reassign",
    response_model=StaffReportRead,
    responses=_with_422(
        STAFF_ERRORS,
        "the unit or department is not of the report's province "
        "(code unit_not_found or department_not_found)",
    ),
    summary="Hand an open report to another unit and/or department (officers)",
)
async def reassign(
    report_id: uuid.UUID, body: ReassignBody, db: SessionDep, principal: Officer, settings: SettingsDep
) -> StaffReportRead:
    report = await service.reassign(
        db,
        principal,
        report_id,
        unit_code=body.unit_code,
        department_code=body.department_code,
        reason=body.reason,
        now=_now(),
    )
    return await _staff_view(db, report, principal, settings)


@router.post(
    "/{report_id}/merge",
    response_model=StaffReportRead,
    responses=_with_422(
        STAFF_ERRORS,
        "a report cannot merge into itself or into another reporter's private report (code invalid_merge)",
    ),
    summary="Merge a duplicate open report into another open report (officers)",
)
async def merge_into(
    report_id: uuid.UUID, body: MergeBody, db: SessionDep, principal: Officer, settings: SettingsDep
) -> StaffReportRead:
    report = await merge.merge(
        db, principal, report_id, into_id=body.into_report_id, reason=body.reason, now=_now()
    )
    return await _staff_view(db, report, principal, settings)


@router.post(
    "/{report_id}/reopen",
    response_model=ReportRead,
    responses=_with_422(REPORTER_ERRORS, ""),
    summary="Reopen one's own resolved or closed report within 7 days of its resolution",
)
async def reopen(
    report_id: uuid.UUID, body: ReopenBody, db: SessionDep, principal: Citizen, settings: SettingsDep
) -> ReportRead:
    report = await reporter_actions.reopen(
        db, principal, working_calendar(), report_id, reason=body.reason, now=_now()
    )
    return await _reporter_view(db, report, principal, settings)


@router.post(
    "/{report_id}/rate",
    response_model=ReportRead,
    responses=_with_422(REPORTER_ERRORS, ""),
    summary="Rate the answer to one's own report, once; a resolved report is then closed",
)
async def rate(
    report_id: uuid.UUID, body: RateBody, db: SessionDep, principal: Citizen, settings: SettingsDep
) -> ReportRead:
    report = await reporter_actions.rate(
        db, principal, report_id, rating=body.rating, comment=body.comment, now=_now()
    )
    return await _reporter_view(db, report, principal, settings)
