"""The alarms of the caller's units: the list, one alarm with its timeline, and what officers do with them.

Every route is for staff: officers and field staff of a unit read its alarms (an officer of a province, those
of its wards too); officers and admins act; field staff comment on the alarms assigned to them. Another
unit's alarm is not found.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from core.bbox import BBOX_DESCRIPTION, BBOX_EXAMPLE, parse_bbox
from core.errors import Message, invalid_parameter
from core.http.deps import SessionDep
from core.http.policies import Staff
from core.http.responses import INVALID_CURSOR, UNAUTHENTICATED, problem, responses
from feedback.reports.input_types import UtcMoment
from ioc.alarms import read, service
from ioc.alarms.filters import AlarmFilters
from ioc.alarms.schemas import (
    AlarmActionBody,
    AlarmAssignBody,
    AlarmCommentBody,
    AlarmDetail,
    AlarmPage,
    AlarmRead,
    AlarmTimelineEntry,
    AlarmType,
)
from ioc.types import SEVERITY_RANK, AlarmStatus, Severity

MAX_LISTED = 20

AlarmId = Annotated[uuid.UUID, Path(description="The alarm's id.")]
UnitCode = Annotated[str, Query(pattern=r"^[0-9]{2}([0-9]{3})?$")]

NOT_FOUND = problem(404, "No such alarm, or one outside the caller's units (code alarm_not_found)")
READ_ERRORS = responses(UNAUTHENTICATED, problem(403, "Not staff (code forbidden)"), NOT_FOUND)
ACT_ERRORS = responses(
    READ_ERRORS,
    problem(403, "Not staff, or field staff acting where only officers and admins may (code forbidden)"),
    problem(422, "The body is not valid (code validation_error)"),
)
LIST_ERRORS = responses(
    UNAUTHENTICATED,
    INVALID_CURSOR,
    problem(403, "Not staff (code forbidden), or a unit_code outside the caller's units (code outside_unit)"),
    problem(
        422,
        "Invalid filters: an unknown status or severity, raised_from after raised_to, a malformed box (code "
        "validation_error), or a box larger than a province (code area_too_large)",
    ),
)

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])

# Acknowledge and clear take an optional body with an optional comment.
ActionBody = AlarmActionBody | None


def _comment(body: ActionBody) -> str | None:
    return None if body is None else body.comment


def _severities(listed: list[Severity] | None, minimum: Severity | None) -> frozenset[str] | None:
    if not listed and minimum is None:
        return None
    chosen = set(listed) if listed else set(Severity)
    if minimum is not None:
        chosen = {s for s in chosen if SEVERITY_RANK[s] >= SEVERITY_RANK[minimum]}
    return frozenset(s.value for s in chosen)


@router.get(
    "", response_model=AlarmPage, summary="Alarms of the caller's units, newest first", responses=LIST_ERRORS
)
async def list_alarms(
    db: SessionDep,
    principal: Staff,
    status: Annotated[list[AlarmStatus] | None, Query(max_length=4, description="Repeatable.")] = None,
    severity: Annotated[list[Severity] | None, Query(max_length=5, description="Repeatable.")] = None,
    min_severity: Annotated[Severity | None, Query(description="This severity and above.")] = None,
    alarm_type: Annotated[list[AlarmType] | None, Query(alias="type", max_length=MAX_LISTED)] = None,
    unit_code: Annotated[list[UnitCode] | None, Query(max_length=MAX_LISTED)] = None,
    bbox: Annotated[
        str | None, Query(max_length=200, description=BBOX_DESCRIPTION, examples=[BBOX_EXAMPLE])
    ] = None,
    raised_from: UtcMoment | None = None,
    raised_to: UtcMoment | None = None,
    assignee: Annotated[
        Literal["me"] | None, Query(description="me: the alarms assigned to the caller.")
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AlarmPage:
    if raised_from is not None and raised_to is not None and raised_from > raised_to:
        raise invalid_parameter(
            "raised_to",
            Message("raised_to phải sau raised_from", "raised_to must not be before raised_from"),
        )
    filters = AlarmFilters(
        statuses=frozenset(s.value for s in status or ()),
        severities=_severities(severity, min_severity),
        types=frozenset(alarm_type or ()),
        unit_codes=frozenset(unit_code or ()),
        bbox=None if bbox is None else parse_bbox(bbox),
        raised_from=raised_from,
        raised_to=raised_to,
        assignee_id=principal.user_id if assignee == "me" else None,
    )
    return await read.list_alarms(db, principal, filters, cursor=cursor, limit=limit)


@router.get(
    "/{alarm_id}", response_model=AlarmDetail, summary="One alarm and its timeline", responses=READ_ERRORS
)
async def get_alarm(db: SessionDep, principal: Staff, alarm_id: AlarmId) -> AlarmDetail:
    return await read.read_alarm(db, principal, alarm_id)


@router.post(
    "/{alarm_id}/ack",
    response_model=AlarmRead,
    summary="Acknowledge an alarm (its reminders stop)",
    responses=responses(ACT_ERRORS, problem(409, "Already acknowledged (code already_acknowledged)")),
)
async def acknowledge_alarm(
    db: SessionDep, principal: Staff, alarm_id: AlarmId, body: ActionBody = None
) -> AlarmRead:
    await service.acknowledge(db, principal, alarm_id, comment=_comment(body), now=datetime.now(UTC))
    return await read.read_one(db, alarm_id)


@router.post(
    "/{alarm_id}/clear",
    response_model=AlarmRead,
    summary="Clear an alarm by hand",
    responses=responses(ACT_ERRORS, problem(409, "Already cleared (code already_cleared)")),
)
async def clear_alarm(
    db: SessionDep, principal: Staff, alarm_id: AlarmId, body: ActionBody = None
) -> AlarmRead:
    await service.clear(db, principal, alarm_id, comment=_comment(body), now=datetime.now(UTC))
    return await read.read_one(db, alarm_id)


@router.post(
    "/{alarm_id}/assign",
    response_model=AlarmRead,
    summary="Assign an alarm to a staff member of a unit covering it",
    responses=responses(
        ACT_ERRORS,
        problem(409, "The alarm is cleared (code already_cleared)"),
        problem(
            422,
            "The body is not valid (code validation_error), or the assignee is not an officer or field staff "
            "member of a unit covering the alarm (code invalid_assignee)",
        ),
    ),
)
async def assign_alarm(
    db: SessionDep, principal: Staff, alarm_id: AlarmId, body: AlarmAssignBody
) -> AlarmRead:
    await service.assign(
        db, principal, alarm_id, assignee_id=body.assignee_id, comment=body.comment, now=datetime.now(UTC)
    )
    return await read.read_one(db, alarm_id)


@router.post(
    "/{alarm_id}/comments",
    status_code=201,
    response_model=AlarmTimelineEntry,
    summary="Comment on an alarm",
    responses=responses(
        ACT_ERRORS,
        problem(
            403,
            "Not staff (code forbidden), or field staff on an alarm not assigned to them "
            "(code not_alarm_assignee)",
        ),
    ),
)
async def comment_alarm(
    db: SessionDep, principal: Staff, alarm_id: AlarmId, body: AlarmCommentBody
) -> AlarmTimelineEntry:
    entry_id = await service.add_comment(db, principal, alarm_id, text=body.text, now=datetime.now(UTC))
    return await read.read_entry(db, entry_id)
