"""Reading reports: one report, the citizen's own, the public feed and map, the officers' inbox, CSV.

Static paths are declared before `/{report_id}` so that they are never taken for an id.
"""

import json
import math
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import StringConstraints
from sqlalchemy.ext.asyncio import AsyncSession

from core.cursor import decode_cursor
from core.errors import Message, ProblemError
from core.identity.principal import Principal
from core.identity.scope import outside_unit, unit_scope
from core.settings import Settings
from feedback import views
from feedback.access import audience_for, get_report, report_not_found
from feedback.csv_export import csv_chunks
from feedback.input_types import UtcMoment
from feedback.models import CATEGORY_CODE_PATTERN, DEPARTMENT_CODE_PATTERN
from feedback.read import build_report_read
from feedback.report_models import REPORT_CODE_PATTERN, Report
from feedback.report_schemas import PublicReportRead, ReportRead, StaffReportRead
from feedback.route_deps import FeedbackDeps
from feedback.status import ReportStatus, SlaState
from feedback.view_schemas import InboxPage, MapFeatureCollection, ReportPage

PUBLIC_OPENAPI: dict[str, Any] = {"security": []}
GEOJSON = "application/geo+json"
# A province is about 1.5 degrees across; a larger box is a query for the whole country.
MAX_BOX_DEGREES = 1.5
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
    str | None,
    Query(
        max_length=200,
        description="min_lon,min_lat,max_lon,max_lat (WGS 84), at most 1.5° on a side.",
        examples=["106.14,20.40,106.22,20.46"],
    ),
]

INVALID_CURSOR: dict[int | str, dict[str, Any]] = {
    400: {"description": "The cursor was not made by this list (code invalid_cursor)"},
}
AREA_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **INVALID_CURSOR,
    422: {"description": "Invalid area or filters; a box larger than a province gets code area_too_large"},
}
UNAUTHENTICATED: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid access token (code unauthenticated, invalid_token or token_expired)"},
}
CITIZEN_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **INVALID_CURSOR,
    **UNAUTHENTICATED,
    403: {"description": "Not a citizen (code forbidden)"},
}
STAFF_PROBLEMS: dict[int | str, dict[str, Any]] = {
    **INVALID_CURSOR,
    **UNAUTHENTICATED,
    403: {
        "description": "Not staff (code forbidden), or a unit_code outside the caller's units (code "
        "outside_unit)"
    },
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    **UNAUTHENTICATED,  # a token that is sent must be valid
    404: {"description": "No such report, or a private one (code report_not_found)"},
}
ReportAnyRead = StaffReportRead | ReportRead | PublicReportRead


def _invalid(name: str, message: Message, code: str = "validation_error") -> ProblemError:
    return ProblemError(
        422,
        code,
        message,
        extensions={
            "errors": [
                {
                    "location": ["query", name],
                    "pointer": "",
                    "type": "value_error",
                    "message": message.en,
                }
            ]
        },
    )


def parse_bbox(text: str) -> views.BBox:
    """The box of `bbox=min_lon,min_lat,max_lon,max_lat`; 422 when malformed, 422 area_too_large when larger
    than a province."""
    parts = text.split(",")
    bad = _invalid(
        "bbox",
        Message(
            "bbox phải là min_lon,min_lat,max_lon,max_lat với min nhỏ hơn max",
            "bbox must be min_lon,min_lat,max_lon,max_lat with each min below its max",
        ),
    )
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in parts)
    except ValueError as error:
        raise bad from error
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise bad
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise bad
    if max_lon - min_lon > MAX_BOX_DEGREES or max_lat - min_lat > MAX_BOX_DEGREES:
        raise _invalid(
            "bbox",
            Message(
                "Vùng tìm kiếm không được lớn hơn 1,5 độ mỗi chiều",
                "The box may be at most 1.5° on a side",
            ),
            code="area_too_large",
        )
    return views.BBox(min_lon, min_lat, max_lon, max_lat)


def _area(bbox: str | None, lat: float | None, lon: float | None, radius_m: int) -> views.BBox | views.Circle:
    if bbox is not None:
        if lat is not None or lon is not None:
            raise _invalid(
                "bbox",
                Message(
                    "Chỉ dùng bbox hoặc lat/lon, không dùng cả hai",
                    "Give either bbox or lat and lon, not both",
                ),
            )
        return parse_bbox(bbox)
    if lat is None or lon is None:
        raise _invalid("lat", Message("Cần bbox, hoặc cả lat và lon", "Give bbox, or both lat and lon"))
    return views.Circle(lat=lat, lon=lon, radius_m=radius_m)


def _public_filters(status: list[ReportStatus] | None, category: list[str] | None) -> views.PublicFilters:
    return views.PublicFilters(statuses=tuple(status or ()), category_codes=tuple(category or ()))


def _wants_plain_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "application/json" in accept and GEOJSON not in accept


async def _report_response(
    db: AsyncSession, settings: Settings, principal: Principal | None, report: Report
) -> Response:
    audience = await audience_for(db, principal, report)
    read = await build_report_read(
        db,
        report,
        audience,
        viewer_id=principal.user_id if principal is not None else None,
        media_url_prefix=settings.media_url_prefix,
    )
    return Response(read.model_dump_json(), media_type="application/json")


def create_router(deps: FeedbackDeps) -> APIRouter:
    router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])
    # Type aliases over the dependencies handed in, so they can only be built here.
    Session = Annotated[AsyncSession, Depends(deps.session)]  # noqa: N806
    SettingsDep = Annotated[Settings, Depends(deps.settings)]  # noqa: N806

    @router.get(
        "/mine",
        response_model=ReportPage,
        summary="The caller's own reports, newest first",
        responses=CITIZEN_PROBLEMS,
    )
    async def my_reports(
        db: Session,
        settings: SettingsDep,
        principal: Annotated[Principal, deps.citizen],
        status: Statuses = None,
        cursor: CursorQuery = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> ReportPage:
        page = await views.own_reports(
            db,
            principal.user_id,
            statuses=tuple(status or ()),
            cursor=decode_cursor(views.OWN_SORT, cursor),
            limit=limit,
            media_url_prefix=settings.media_url_prefix,
        )
        return ReportPage(items=page.items, next_cursor=page.next_cursor)

    @router.get(
        "/public",
        response_model=ReportPage,
        responses=AREA_PROBLEMS,
        openapi_extra=PUBLIC_OPENAPI,
        dependencies=[deps.public],
        summary="Public reports in a box or near a point, newest first (not nearest first)",
        description="Give `bbox`, or `lat` and `lon` with `radius_m`. Never carries who filed a report.",
    )
    async def public_feed(
        db: Session,
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
        page = await views.public_feed(
            db,
            _area(bbox, lat, lon, radius_m),
            _public_filters(status, category_code),
            cursor=decode_cursor(views.PUBLIC_SORT, cursor),
            limit=limit,
            media_url_prefix=settings.media_url_prefix,
        )
        return ReportPage(items=page.items, next_cursor=page.next_cursor)

    map_schema = {"schema": {"$ref": "#/components/schemas/MapFeatureCollection"}}

    @router.get(
        "/public/map",
        response_model=MapFeatureCollection,
        openapi_extra=PUBLIC_OPENAPI,
        dependencies=[deps.public],
        summary="Public reports in a box as GeoJSON, newest first",
        description=f"A FeatureCollection ({GEOJSON}, or application/json when only that is accepted) with "
        "`next_cursor` as a foreign member. Never carries who filed a report.",
        responses={**AREA_PROBLEMS, 200: {"content": {GEOJSON: map_schema, "application/json": map_schema}}},
    )
    async def public_map(
        request: Request,
        db: Session,
        bbox: Annotated[
            str,
            Query(
                max_length=200,
                description="min_lon,min_lat,max_lon,max_lat, at most 1.5° on a side.",
                examples=["106.14,20.40,106.22,20.46"],
            ),
        ],
        status: Statuses = None,
        category_code: Categories = None,
        cursor: CursorQuery = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 500,
    ) -> Response:
        collection = await views.public_map(
            db,
            parse_bbox(bbox),
            _public_filters(status, category_code),
            cursor=decode_cursor(views.PUBLIC_SORT, cursor),
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
    ) -> tuple[frozenset[str] | None, views.InboxFilters]:
        scope = await unit_scope(db, principal)
        for code in unit_code or ():
            if not scope.allows(code):
                raise outside_unit(code)
        filters = views.InboxFilters(
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
        db: Session,
        settings: SettingsDep,
        principal: Annotated[Principal, deps.staff],
        params: InboxParams,
        sort: views.InboxSort = views.InboxSort.DEADLINE,
        cursor: CursorQuery = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
    ) -> InboxPage:
        units, filters = await _inbox_query(db, principal, **params)
        page = await views.inbox(
            db,
            units,
            filters,
            sort=sort,
            cursor=decode_cursor(views.inbox_cursor_sort(sort), cursor),
            limit=limit,
            media_url_prefix=settings.media_url_prefix,
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
        db: Session,
        settings: SettingsDep,
        principal: Annotated[Principal, deps.staff],
        params: InboxParams,
        sort: views.InboxSort = views.InboxSort.DEADLINE,
    ) -> StreamingResponse:
        units, filters = await _inbox_query(db, principal, **params)
        batches = views.inbox_batches(
            db, units, filters, sort=sort, cap=CSV_ROW_CAP, media_url_prefix=settings.media_url_prefix
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
        db: Session,
        settings: SettingsDep,
        principal: Annotated[Principal | None, deps.optional_principal],
        code: Annotated[str, Path(pattern=REPORT_CODE_PATTERN, examples=["PA-2026-000123"])],
    ) -> Response:
        report = await views.report_by_code(db, code)
        if report is None:
            raise report_not_found(code)
        return await _report_response(db, settings, principal, report)

    @router.get(
        "/{report_id}",
        response_model=ReportAnyRead,
        responses=NOT_FOUND,
        summary="One report, in the shape the caller may see",
        description="Anyone sees a public report in the public shape; its reporter sees their shape, staff "
        "of its unit the staff shape. A private report is 404 to everyone else.",
    )
    async def report_detail(
        db: Session,
        settings: SettingsDep,
        principal: Annotated[Principal | None, deps.optional_principal],
        report_id: uuid.UUID,
    ) -> Response:
        return await _report_response(db, settings, principal, await get_report(db, report_id))

    return router


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
