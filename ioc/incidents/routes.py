"""The incident routes: staff of the unit read, officers link, unlink, make and close by hand.

The rules are in ioc.incidents.service; automatic linking (ioc.incidents.linking) needs no route.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import StringConstraints

from core.bbox import BBOX_DESCRIPTION, BBOX_EXAMPLE, parse_bbox
from core.errors import Message, invalid_parameter
from core.http.deps import SessionDep
from core.http.policies import Officer, Staff
from core.http.responses import INVALID_CURSOR, UNAUTHENTICATED, problem, responses
from core.identity.scope import outside_unit, unit_scope
from feedback.reports.input_types import UtcMoment
from ioc.incidents import service
from ioc.incidents.repository.reads import IncidentFilter
from ioc.incidents.schemas import IncidentCreate, IncidentDetail, IncidentPage, LinkIn
from ioc.incidents.types import IncidentStatus, MemberKind, MemberRef

IncidentId = Annotated[uuid.UUID, Path(description="The incident's id.")]
MAX_LISTED = 20
UnitCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2}([0-9]{3})?$")]

_READ_FORBIDDEN = problem(
    403, "Not staff (code forbidden), or a unit_code outside the caller's units (code outside_unit)"
)
_ACT_FORBIDDEN = problem(403, "Only officers and admins act on incidents (code forbidden)")
_NOT_FOUND = problem(404, "No such incident in your units (code incident_not_found)")
_CLOSED = problem(409, "The incident is closed (code incident_closed)")
_MEMBER = problem(
    404,
    "No such incident in your units (code incident_not_found), or no such alarm or report in your units "
    "(code alarm_not_found, report_not_found)",
)
_LINK_CONFLICT = problem(
    409,
    "The incident is closed (code incident_closed), the member is in it already (code already_linked) or "
    "in another open incident (code linked_elsewhere: send move), or the members lie in two provinces "
    "(code incident_across_provinces)",
)
_CREATE_CONFLICT = problem(
    409,
    "A member is in another open incident (code linked_elsewhere: send move), or the members lie in two "
    "provinces (code incident_across_provinces)",
)

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


@router.get(
    "",
    response_model=IncidentPage,
    summary="Incidents of your units, newest first",
    responses=responses(UNAUTHENTICATED, _READ_FORBIDDEN, INVALID_CURSOR),
)
async def list_incidents(
    db: SessionDep,
    principal: Staff,
    status: Annotated[list[IncidentStatus] | None, Query(max_length=2, description="Repeatable.")] = None,
    unit_code: Annotated[
        list[UnitCode] | None,
        Query(max_length=MAX_LISTED, description="Repeatable; incidents of exactly these units."),
    ] = None,
    bbox: Annotated[
        str | None,
        Query(
            max_length=200,
            description=f"Footprints meeting the box: {BBOX_DESCRIPTION}",
            examples=[BBOX_EXAMPLE],
        ),
    ] = None,
    seen_from: Annotated[UtcMoment | None, Query(description="Seen at or after (last seen).")] = None,
    seen_to: Annotated[UtcMoment | None, Query(description="Seen at or before (first seen).")] = None,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> IncidentPage:
    if seen_from is not None and seen_to is not None and seen_to < seen_from:
        raise invalid_parameter(
            "seen_to", Message("seen_to phải sau seen_from", "seen_to must not be before seen_from")
        )
    scope = await unit_scope(db, principal)
    for code in unit_code or ():
        if not scope.allows(code):
            raise outside_unit(code)
    filters = IncidentFilter(
        statuses=tuple(value.value for value in status or ()),
        unit_codes=tuple(unit_code or ()),
        bbox=parse_bbox(bbox) if bbox is not None else None,
        seen_from=seen_from,
        seen_to=seen_to,
    )
    return await service.list_incidents(db, scope, filters, cursor=cursor, limit=limit)


@router.post(
    "",
    status_code=201,
    response_model=IncidentDetail,
    summary="Make an incident by hand from alarms and reports",
    responses=responses(
        UNAUTHENTICATED,
        _ACT_FORBIDDEN,
        problem(404, "No such alarm or report in your units (code alarm_not_found, report_not_found)"),
        _CREATE_CONFLICT,
    ),
)
async def create_incident(db: SessionDep, principal: Officer, body: IncidentCreate) -> IncidentDetail:
    return await service.create(db, principal, body)


@router.get(
    "/{incident_id}",
    response_model=IncidentDetail,
    summary="One incident with its alarms and reports",
    responses=responses(UNAUTHENTICATED, problem(403, "Not staff (code forbidden)"), _NOT_FOUND),
)
async def get_incident(db: SessionDep, principal: Staff, incident_id: IncidentId) -> IncidentDetail:
    return await service.read(db, principal, incident_id)


@router.post(
    "/{incident_id}/links",
    response_model=IncidentDetail,
    summary="Link an alarm or a report to the incident by hand",
    responses=responses(UNAUTHENTICATED, _ACT_FORBIDDEN, _MEMBER, _LINK_CONFLICT),
)
async def link_member(
    db: SessionDep, principal: Officer, incident_id: IncidentId, body: LinkIn
) -> IncidentDetail:
    return await service.link(db, principal, incident_id, body)


@router.delete(
    "/{incident_id}/links/{kind}/{member_id}",
    response_model=IncidentDetail,
    summary="Take an alarm or a report out of the incident",
    description="The lead is chosen again. An incident left with no member closes (reason empty); one with "
    "a single member stays open until an officer closes it or its members are all done. What an officer "
    "took out is never linked again automatically.",
    responses=responses(
        UNAUTHENTICATED,
        _ACT_FORBIDDEN,
        problem(
            404,
            "No such incident in your units (code incident_not_found), or the member is not in it "
            "(code member_not_linked)",
        ),
        _CLOSED,
    ),
)
async def unlink_member(
    db: SessionDep,
    principal: Officer,
    incident_id: IncidentId,
    kind: Annotated[MemberKind, Path(description="alarm or report.")],
    member_id: Annotated[uuid.UUID, Path(description="The alarm's or the report's id.")],
) -> IncidentDetail:
    return await service.unlink(db, principal, incident_id, MemberRef(kind, member_id))


@router.post(
    "/{incident_id}/close",
    response_model=IncidentDetail,
    summary="Close the incident by hand",
    responses=responses(UNAUTHENTICATED, _ACT_FORBIDDEN, _NOT_FOUND, _CLOSED),
)
async def close_incident(db: SessionDep, principal: Officer, incident_id: IncidentId) -> IncidentDetail:
    return await service.close(db, principal, incident_id)
