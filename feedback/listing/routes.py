"""Reading reports: one report, the citizen's own, the public feed and map, the officers' inbox, CSV.

Static paths are declared before `/{report_id}` so that they are never taken for an id.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from core.bbox import BBOX_DESCRIPTION, BBOX_EXAMPLE, BBox, Circle, parse_bbox
from core.cursor import decode_cursor
from core.errors import Message, invalid_parameter
from core.http.deps import SessionDep, SettingsDep
from core.http.policies import PUBLIC, Citizen, OptionalPrincipal, Staff
from core.http.read_limits import PUBLIC_READ_LIMIT
from core.http.responses import INVALID_CURSOR, PUBLIC_OPENAPI, UNAUTHENTICATED, problem, responses
from core.identity.principal import Principal
from core.identity.scope import outside_unit, unit_scope
from core.media.signing import media_urls
from core.settings import Settings
from feedback.catalogue.models import CATEGORY_CODE_PATTERN, DEPARTMENT_CODE_PATTERN
from feedback.listing import repository
from feedback.listing.csv_export import csv_chunks
from feedback.listing.filters import InboxFilters, InboxSort, PublicFilters, inbox_cursor_sort
from feedback.listing.schemas import InboxPage, MapFeatureCollection, ReportPage
from feedback.reports import repository as reports_repository
from feedback.reports.access import audience_for, get_report, report_not_found
from feedback.reports.input_types import UtcMoment
from feedback.reports.models import REPORT_CODE_PATTERN, Report
from feedback.reports.read import build_report_read
from feedback.reports.schemas import PublicReportRead, ReportRead, StaffReportRead
from feedback.reports.status import ReportStatus, SlaState

GEOJSON = "application/geo+json"
MAX_RADIUS_M = 20_000
CSV_ROW_CAP = 50_000
MAX_LISTED = 20
CODE_PREFIX_PATTERN = r"^[A-Za-z0-9-]{1,24}$"

CategoryCode = Annotated[str, StringConstraints(pattern=CATEGORY_CODE_PATTERN)]
DepartmentCode = Annotated[str, StringConstraints(pattern=DEPARTMENT_CODE_PATTERN)]
UnitCode = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,5}$")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]
Statuses = Annotated[list[ReportStatus] | None, Query(alias="status", max_length=MAX_LISTED)]
Categories = Annotated[list[CategoryCode] | None, Query(alias="category_code", max_length=MAX_LISTED)]
BBoxQuery = Annotated[
    str | None, Query(max_length=200, description=BBOX_DESCRIPTION, examples=[BBOX_EXAMPLE])
]

AREA_PROBLEMS = responses(
    INVALID_CURSOR,
    problem(422, "Invalid area or filters; a box larger than a province gets code area_too_large"),
)
PUBLIC_AREA_PROBLEMS = responses(
    AREA_PROBLEMS,
    problem(429, "Too many anonymous reads from this client (code rate_limited, header Retry-After)"),
)
CITIZEN_PROBLEMS = responses(INVALID_CURSOR, UNAUTHENTICATED, problem(403, "Not a citizen (code forbidden)"))
STAFF_PROBLEMS = responses(
    INVALID_CURSOR,
    UNAUTHENTICATED,
    problem(
        403,
        "Not staff (code forbidden), or a unit_code outside the caller's units (code outside_unit)",
    ),
)
NOT_FOUND = responses(
    UNAUTHENTICATED,  # a token that is sent must be valid
    problem(404, "No such report, or a private one (code report_not_found)"),
)
ReportAnyRead = StaffReportRead | ReportRead | PublicReportRead
MAP_SCHEMA = {"schema": {"$ref": "#/components/schemas/MapFeatureCollection"}}


def _area(bbox: str | None, lat: float | None, lon: float | None, radius_m: int) -> BBox | Circle:
    if bbox is not None:
        if lat is not None or lon is not None:
            raise invalid_parameter(
                "bbox",
                Message(
                    "Chỉ dùng bbox hoặc lat/lon, không dùng cả hai",
                    "Give either bbox or lat and lon, not both",
                ),
            )
        return parse_bbox(bbox)
    if lat is None or lon is None:
        raise invalid_parameter(
            "lat", Message("Cần bbox, hoặc cả lat và lon", "Give bbox, or both lat and lon")
        )
    return Circle(lat=lat, lon=lon, radius_m=radius_m)


def _public_filters(status: list[ReportStatus] | None, category: list[str] | None) -> PublicFilters:
    return PublicFilters(statuses=tuple(status or ()), category_codes=tuple(category or ()))


def _wants_plain_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and GEOJSON not in accept


async def _report_response(
    db: AsyncSession, settings: Settings, principal: Principal | None, report: Report, reference: str
) -> Response:
    audience = await audience_for(db, principal, report, reference=reference)
    read = await build_report_read(
        db,
        report,
        audience,
        viewer_id=principal.user_id if principal is not None else None,
        media=media_urls(settings),
    )
    return Response(read.model_dump_json(), media_type="application/json")


async def _inbox_params(
    status: Statuses = None,
    category_code: Categories = None,
    unit_code: Annotated[list[UnitCode] | None, Query(max_length=MAX_LISTED)] = None,
    department_code: Annotated[list[DepartmentCode] | None, Query(max_length=MAX_LISTED)] = None,
    urgent: bool | None = None,
    sla_state: Annotated[list[SlaState] | None, Query(max_length=MAX_LISTED)] = None,
    assigned_to_me: bool = False,
    q: Annotated[str | None, Query(pattern=CODE_PREFIX_PATTERN, description="A report code prefix.")] = None,
    created_from: UtcMoment | None = None,
    created_to: UtcMoment | None = None,
) -> dict[str, Any]:
    """The inbox's filters, shared by the list and the CSV export."""
    return {
        "status": status,
        "category_code": category_code,
        "unit_code": unit_code,
        "department_code": department_code,
        "urgent": urgent,
        "sla_state": sla_state,
        "assigned_to_me": assigned_to_me,
        "q": q,
        "created_from": created_from,
        "created_to": created_to,
    }


InboxParams = Annotated[dict[str, Any], Depends(_inbox_params)]


router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])


@router.get(
    "/mine",
    response_model=ReportPage,
    summary="The caller's own reports, newest first",
    responses=CITIZEN_PROBLEMS,
)
async def my_reports(
    db: SessionDep,
    settings: SettingsDep,
    principal: Citizen,
    status: Statuses = None,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ReportPage:
    page = await repository.own_reports(
        db,
        principal.user_id,
        statuses=tuple(status or ()),
        cursor=decode_cursor(repository.OWN_SORT, cursor),
        limit=limit,
        media=media_urls(settings),
    )
    return ReportPage(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/public",
    response_model=ReportPage,
    responses=PUBLIC_AREA_PROBLEMS,
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[PUBLIC, PUBLIC_READ_LIMIT],
    summary="Public reports in a box or near a point, newest first (not nearest first)",
    description="Give `bbox`, or `lat` and `lon` with `radius_m`. Never carries who filed a report.",
)
async def public_feed(
    db: SessionDep,
    settings: SettingsDep,
    bbox: BBoxQuery = None,
    lat: Annotated[float | None, Query(ge=-90, le=90)] = None,
    lon: Annotated[float | None, Query(ge=-180, le=180)] = None,
    radius_m: Annotated[int, Query(ge=1, le=MAX_RADIUS_M)] = 1000,
    status: Statuses = None,
    category_code: Categories = None,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> ReportPage:
    page = await repository.public_feed(
        db,
        _area(bbox, lat, lon, radius_m),
        _public_filters(status, category_code),
        cursor=decode_cursor(repository.PUBLIC_SORT, cursor),
        limit=limit,
        media=media_urls(settings),
    )
    return ReportPage(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/public/map",
    response_model=MapFeatureCollection,
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[PUBLIC, PUBLIC_READ_LIMIT],
    summary="Public reports in a box as GeoJSON, newest first",
    description=f"A FeatureCollection ({GEOJSON}, or application/json when only that is accepted) with "
    "`next_cursor` as a foreign member. Never carries who filed a report.",
    responses={
        **PUBLIC_AREA_PROBLEMS,
        200: {"content": {GEOJSON: MAP_SCHEMA, "application/json": MAP_SCHEMA}},
    },
)
async def public_map(
    request: Request,
    db: SessionDep,
    bbox: Annotated[
        str,
        Query(
            max_length=200,
            description="min_lon,min_lat,max_lon,max_lat, at most 1.5° on a side.",
            examples=[BBOX_EXAMPLE],
        ),
    ],
    status: Statuses = None,
    category_code: Categories = None,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> Response:
    collection = await repository.public_map(
        db,
        parse_bbox(bbox),
        _public_filters(status, category_code),
        cursor=decode_cursor(repository.PUBLIC_SORT, cursor),
        limit=limit,
    )
    media_type = "application/json" if _wants_plain_json(request) else GEOJSON
    body = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    return Response(body, media_type=media_type)


async def _inbox_query(
    db: AsyncSession,
    principal: Principal,
    status: list[ReportStatus] | None,
    category_code: list[str] | None,
    unit_code: list[str] | None,
    department_code: list[str] | None,
    urgent: bool | None,
    sla_state: list[SlaState] | None,
    assigned_to_me: bool,
    q: str | None,
    created_from: datetime | None,
    created_to: datetime | None,
) -> tuple[frozenset[str] | None, InboxFilters]:
    scope = await unit_scope(db, principal)
    for code in unit_code or ():
        if not scope.allows(code):
            raise outside_unit(code)
    filters = InboxFilters(
        statuses=tuple(status or ()),
        category_codes=tuple(category_code or ()),
        unit_codes=tuple(unit_code or ()),
        department_codes=tuple(department_code or ()),
        sla_states=tuple(sla_state or ()),
        urgent=urgent,
        assignee_id=principal.user_id if assigned_to_me else None,
        code_prefix=q.upper() if q else None,
        created_from=created_from,
        created_to=created_to,
    )
    return (None if scope.all_units else scope.codes), filters


@router.get(
    "/inbox",
    response_model=InboxPage,
    responses=STAFF_PROBLEMS,
    summary="Reports of the caller's units, nearest deadline first by default",
)
async def inbox(
    db: SessionDep,
    settings: SettingsDep,
    principal: Staff,
    params: InboxParams,
    sort: InboxSort = InboxSort.DEADLINE,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> InboxPage:
    units, filters = await _inbox_query(db, principal, **params)
    page = await repository.inbox(
        db,
        units,
        filters,
        sort=sort,
        cursor=decode_cursor(inbox_cursor_sort(sort), cursor),
        limit=limit,
        media=media_urls(settings),
    )
    return InboxPage(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/inbox.csv",
    response_class=StreamingResponse,
    summary="The inbox as a CSV file for Excel",
    description=f"Every matching report (at most {CSV_ROW_CAP:,}) in the inbox's order, UTF-8 with a "
    "byte order mark. No reporter phone numbers.",
    responses={**STAFF_PROBLEMS, 200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def inbox_csv(
    db: SessionDep,
    settings: SettingsDep,
    principal: Staff,
    params: InboxParams,
    sort: InboxSort = InboxSort.DEADLINE,
) -> StreamingResponse:
    units, filters = await _inbox_query(db, principal, **params)
    batches = repository.inbox_batches(
        db, units, filters, sort=sort, cap=CSV_ROW_CAP, media=media_urls(settings)
    )
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        csv_chunks(batches),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="reports-{stamp}.csv"'},
    )


@router.get(
    "/by-code/{code}",
    response_model=ReportAnyRead,
    responses=NOT_FOUND,
    summary="One report by its code, in the shape the caller may see",
)
async def report_by_code(
    db: SessionDep,
    settings: SettingsDep,
    principal: OptionalPrincipal,
    code: Annotated[str, Path(pattern=REPORT_CODE_PATTERN, examples=["PA-2026-000123"])],
) -> Response:
    report = await reports_repository.report_by_code(db, code)
    if report is None:
        raise report_not_found(code)
    return await _report_response(db, settings, principal, report, code)


@router.get(
    "/{report_id}",
    response_model=ReportAnyRead,
    responses=NOT_FOUND,
    summary="One report, in the shape the caller may see",
    description="Anyone sees a public report in the public shape; its reporter sees their shape, staff "
    "of its unit the staff shape. A private report is 404 to everyone else.",
)
async def report_detail(
    db: SessionDep,
    settings: SettingsDep,
    principal: OptionalPrincipal,
    report_id: uuid.UUID,
) -> Response:
    report = await get_report(db, report_id)
    return await _report_response(db, settings, principal, report, str(report_id))
