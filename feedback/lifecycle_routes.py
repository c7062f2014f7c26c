"""Moving reports through their life (accept, reject, assign, start, resolve, close, reopen, extend,
reassign, merge, rate) and the KPIs.

Not `from __future__ import annotations`: FastAPI must see the dependency annotations as objects.
Staff actions answer with the staff view of the report, the reporter's actions with the reporter's view.
"""

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Principal
from core.settings import Settings
from feedback import kpis, lifecycle, merge
from feedback.access import Audience
from feedback.input_types import UtcMoment
from feedback.lifecycle_schemas import (
    UNIT_CODE_PATTERN,
    AssignBody,
    ExtendDeadlineBody,
    KpiRead,
    MergeBody,
    NoteBody,
    RateBody,
    ReassignBody,
    RejectBody,
    ReopenBody,
    ResolveBody,
)
from feedback.models import CATEGORY_CODE_PATTERN
from feedback.read import build_report_read
from feedback.report_models import Report
from feedback.report_schemas import ReportRead, StaffReportRead
from feedback.route_deps import FeedbackDeps, working_calendar

PREFIX = "/api/v1/feedback"

STAFF_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid access token (code unauthenticated, invalid_token or token_expired)"},
    403: {
        "description": "Not allowed for this role (code forbidden), or the report's unit is not one of the "
        "caller's (code outside_unit)"
    },
    404: {"description": "No such report (code report_not_found)"},
    409: {
        "description": "The report is not in a status that allows this (code invalid_transition, "
        "report_not_open, deadline_already_extended or invalid_merge)"
    },
}
REPORTER_ERRORS: dict[int | str, dict[str, Any]] = {
    401: STAFF_ERRORS[401],
    403: {
        "description": "Citizens only (code forbidden), and only on their own report (code not_report_owner)"
    },
    404: STAFF_ERRORS[404],
    409: {
        "description": "The report is not in a status that allows this (code invalid_transition, "
        "reopen_window_passed or already_rated)"
    },
}


def _with_422(errors: dict[int | str, dict[str, Any]], text: str) -> dict[int | str, dict[str, Any]]:
    also = f", or {text}" if text else ""
    return errors | {422: {"description": f"The body is not valid (code validation_error){also}"}}


def create_router(deps: FeedbackDeps) -> APIRouter:
    router = APIRouter(prefix=PREFIX, tags=["feedback"])
    session_t = Annotated[AsyncSession, Depends(deps.session)]
    settings_t = Annotated[Settings, Depends(deps.settings)]
    officer_t = Annotated[Principal, deps.officer]
    staff_t = Annotated[Principal, deps.staff]
    citizen_t = Annotated[Principal, deps.citizen]

    async def staff_view(
        db: AsyncSession, report: Report, principal: Principal, settings: Settings
    ) -> StaffReportRead:
        await db.flush()
        view = await build_report_read(
            db,
            report,
            Audience.STAFF,
            viewer_id=principal.user_id,
            media_url_prefix=settings.media_url_prefix,
        )
        assert isinstance(view, StaffReportRead)
        return view

    async def reporter_view(
        db: AsyncSession, report: Report, principal: Principal, settings: Settings
    ) -> ReportRead:
        await db.flush()
        return await build_report_read(
            db,
            report,
            Audience.REPORTER,
            viewer_id=principal.user_id,
            media_url_prefix=settings.media_url_prefix,
        )  # type: ignore[return-value]

    def now() -> datetime:
        return datetime.now(UTC)

    @router.post(
        "/{report_id}/accept",
        response_model=StaffReportRead,
        responses=_with_422(STAFF_ERRORS, ""),
        summary="Accept a submitted report (officers)",
    )
    async def accept(
        report_id: uuid.UUID, body: NoteBody, db: session_t, principal: officer_t, settings: settings_t
    ) -> StaffReportRead:
        report = await lifecycle.accept(db, principal, report_id, note=body.note, now=now())
        return await staff_view(db, report, principal, settings)

    @router.post(
        "/{report_id}/reject",
        response_model=StaffReportRead,
        responses=_with_422(STAFF_ERRORS, ""),
        summary="Reject a submitted or accepted report, with a public reason (officers)",
    )
    async def reject(
        report_id: uuid.UUID, body: RejectBody, db: session_t, principal: officer_t, settings: settings_t
    ) -> StaffReportRead:
        report = await lifecycle.reject(db, principal, report_id, reason=body.reason, now=now())
        return await staff_view(db, report, principal, settings)

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
        report_id: uuid.UUID, body: AssignBody, db: session_t, principal: officer_t, settings: settings_t
    ) -> StaffReportRead:
        report = await lifecycle.assign(
            db, principal, report_id, assignee_id=body.assignee_id, note=body.note, now=now()
        )
        return await staff_view(db, report, principal, settings)

    @router.post(
        "/{report_id}/start",
        response_model=StaffReportRead,
        responses=_with_422(STAFF_ERRORS, ""),
        summary="Start work on an assigned report (staff)",
    )
    async def start(
        report_id: uuid.UUID, body: NoteBody, db: session_t, principal: staff_t, settings: settings_t
    ) -> StaffReportRead:
        report = await lifecycle.start(db, principal, report_id, note=body.note, now=now())
        return await staff_view(db, report, principal, settings)

    @router.post(
        "/{report_id}/resolve",
        response_model=StaffReportRead,
        responses=_with_422(
            STAFF_ERRORS,
            "a proof photo is unknown (code photo_not_found) or there are too many (code too_many_photos)",
        ),
        summary="Resolve a report in progress with a public answer and proof photos (staff)",
    )
    async def resolve(
        report_id: uuid.UUID, body: ResolveBody, db: session_t, principal: staff_t, settings: settings_t
    ) -> StaffReportRead:
        report = await lifecycle.resolve(
            db, principal, report_id, answer=body.answer, proof_photo_ids=body.proof_photo_ids, now=now()
        )
        return await staff_view(db, report, principal, settings)

    @router.post(
        "/{report_id}/close",
        response_model=StaffReportRead,
        responses=_with_422(STAFF_ERRORS, ""),
        summary="Close a resolved report (officers)",
    )
    async def close(
        report_id: uuid.UUID, body: NoteBody, db: session_t, principal: officer_t, settings: settings_t
    ) -> StaffReportRead:
        report = await lifecycle.close(db, principal, report_id, note=body.note, now=now())
        return await staff_view(db, report, principal, settings)

    @router.post(
        "/{report_id}/extend-deadline",
        response_model=StaffReportRead,
        responses=_with_422(STAFF_ERRORS, "the new deadline is not later (code invalid_deadline)"),
        summary="Extend an open report's resolve deadline, once (officers)",
    )
    async def extend_deadline(
        report_id: uuid.UUID,
        body: ExtendDeadlineBody,
        db: session_t,
        principal: officer_t,
        settings: settings_t,
    ) -> StaffReportRead:
        report = await lifecycle.extend_deadline(
            db,
            principal,
            working_calendar(),
            settings,
            report_id,
            reason=body.reason,
            due_at=body.due_at,
            working_days=body.working_days,
            now=now(),
        )
        return await staff_view(db, report, principal, settings)

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
        report_id: uuid.UUID, body: ReassignBody, db: session_t, principal: officer_t, settings: settings_t
    ) -> StaffReportRead:
        report = await lifecycle.reassign(
            db,
            principal,
            report_id,
            unit_code=body.unit_code,
            department_code=body.department_code,
            reason=body.reason,
            now=now(),
        )
        return await staff_view(db, report, principal, settings)

    @router.post(
        "/{report_id}/merge",
        response_model=StaffReportRead,
        responses=_with_422(
            STAFF_ERRORS,
            "a report cannot merge into itself or into another "
            "reporter's private report (code invalid_merge)",
        ),
        summary="Merge a duplicate open report into another open report (officers)",
    )
    async def merge_into(
        report_id: uuid.UUID, body: MergeBody, db: session_t, principal: officer_t, settings: settings_t
    ) -> StaffReportRead:
        report = await merge.merge(
            db, principal, report_id, into_id=body.into_report_id, reason=body.reason, now=now()
        )
        return await staff_view(db, report, principal, settings)

    @router.post(
        "/{report_id}/reopen",
        response_model=ReportRead,
        responses=_with_422(REPORTER_ERRORS, ""),
        summary="Reopen one's own resolved or closed report within 7 days of its resolution",
    )
    async def reopen(
        report_id: uuid.UUID, body: ReopenBody, db: session_t, principal: citizen_t, settings: settings_t
    ) -> ReportRead:
        report = await lifecycle.reopen(
            db, principal, working_calendar(), report_id, reason=body.reason, now=now()
        )
        return await reporter_view(db, report, principal, settings)

    @router.post(
        "/{report_id}/rate",
        response_model=ReportRead,
        responses=_with_422(REPORTER_ERRORS, ""),
        summary="Rate the answer to one's own report, once; a resolved report is then closed",
    )
    async def rate(
        report_id: uuid.UUID, body: RateBody, db: session_t, principal: citizen_t, settings: settings_t
    ) -> ReportRead:
        report = await lifecycle.rate(
            db, principal, report_id, rating=body.rating, comment=body.comment, now=now()
        )
        return await reporter_view(db, report, principal, settings)

    @router.get(
        "/kpis",
        response_model=KpiRead,
        summary="Report KPIs of the caller's units (staff)",
        responses={
            401: STAFF_ERRORS[401],
            403: {
                "description": "Not staff (code forbidden), or the unit asked for is not "
                "one of the caller's (code outside_unit)"
            },
        },
    )
    async def get_kpis(
        db: session_t,
        principal: staff_t,
        unit_code: Annotated[str | None, Query(pattern=UNIT_CODE_PATTERN)] = None,
        category_code: Annotated[str | None, Query(pattern=CATEGORY_CODE_PATTERN)] = None,
        date_from: Annotated[UtcMoment | None, Query(alias="from")] = None,
        date_to: Annotated[UtcMoment | None, Query(alias="to")] = None,
    ) -> KpiRead:
        return await kpis.compute_kpis(
            db,
            principal,
            now=now(),
            unit_code=unit_code,
            category_code=category_code,
            date_from=date_from,
            date_to=date_to,
        )

    return router
