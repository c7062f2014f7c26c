"""On-time figures: for staff per unit or agency and period, and as public open data per unit and month.

`/api/v1/dossiers/figures` is a static path beside `/api/v1/dossiers/{code}`: this router is included before
the dossiers' routers, so that it is never taken for a code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from core.calendar import working_calendar
from core.http.conditional import NOT_MODIFIED
from core.http.deps import SessionDep, SettingsDep
from core.http.policies import PUBLIC, Staff
from core.http.read_limits import PUBLIC_READ_LIMIT
from core.http.responses import PUBLIC_OPENAPI, UNAUTHENTICATED, problem, responses
from dossiers.figures import open_data, service
from dossiers.figures.period import MAX_DAYS, period_of
from dossiers.figures.schemas import MONTH_PATTERN, FiguresGroup, FiguresRead, OpenFiguresRead
from dossiers.models import AGENCY_CODE_MAX_LENGTH, AGENCY_CODE_PATTERN

UNIT_CODE_PATTERN = r"^[0-9]{2}([0-9]{3})?$"
UnitCodeQuery = Annotated[
    str | None, Query(pattern=UNIT_CODE_PATTERN, description="A province or ward code.")
]
MonthQuery = Annotated[str, Query(pattern=MONTH_PATTERN, description="Month of receipt, YYYY-MM.")]

STAFF_PROBLEMS = responses(
    UNAUTHENTICATED,
    problem(
        403, "Not staff (code forbidden), or a unit or agency outside the caller's units (code outside_unit)"
    ),
    problem(404, "No such unit (code unit_not_found) or agency (code agency_not_found)"),
    problem(
        422,
        "Neither or both of unit_code and agency_code, a date that is not YYYY-MM-DD or outside 2000-2999 "
        f"(code validation_error), `to` before `from` (code date_range_reversed), more than {MAX_DAYS} days "
        "(code date_range_too_long)",
    ),
)
OPEN_PROBLEMS = responses(
    NOT_MODIFIED,
    problem(404, "No such unit (code unit_not_found)"),
    problem(422, "A month that is not YYYY-MM within 2000-2999, or a bad unit code (code validation_error)"),
    problem(429, "Too many anonymous reads from this client (code rate_limited, header Retry-After)"),
)
OPEN_DATA_DESCRIPTION = (
    "Each unit's figures for one month of receipt (with `unit_code`, that unit and its wards), as the "
    "province publishes them: counts and rates, no personal data. ETag and Cache-Control (five minutes): "
    "send If-None-Match to get a 304."
)

# What both open data routes declare: anyone may call, within the anonymous read limit.
OPEN_ROUTE: dict[str, Any] = {
    "tags": ["open-data"],
    "dependencies": [PUBLIC, PUBLIC_READ_LIMIT],
    "openapi_extra": PUBLIC_OPENAPI,
}

router = APIRouter(prefix="/api/v1")


@router.get(
    "/dossiers/figures",
    tags=["dossiers"],
    response_model=FiguresRead,
    summary="On-time figures of a unit or an agency for a period of receipt (staff)",
    description="Dossiers received from `from` to `to` (local dates, both counted, at most "
    f"{MAX_DAYS} days), judged now. Give `unit_code` (a province covers its wards) or `agency_code`.",
    responses=STAFF_PROBLEMS,
)
async def staff_figures(
    db: SessionDep,
    settings: SettingsDep,
    principal: Staff,
    date_from: Annotated[date, Query(alias="from")],
    date_to: Annotated[date, Query(alias="to")],
    unit_code: UnitCodeQuery = None,
    agency_code: Annotated[
        str | None, Query(pattern=AGENCY_CODE_PATTERN, max_length=AGENCY_CODE_MAX_LENGTH)
    ] = None,
    group: FiguresGroup = FiguresGroup.NONE,
) -> FiguresRead:
    return await service.staff_figures(
        db,
        principal,
        working_calendar(settings),
        period_of(date_from, date_to),
        unit_code=unit_code,
        agency_code=agency_code,
        group=group,
        now=datetime.now(UTC),
    )


async def _open_figures(
    db: SessionDep, settings: SettingsDep, month: str, unit_code: str | None
) -> OpenFiguresRead:
    return await service.unit_month_figures(
        db, working_calendar(settings), month, unit_code=unit_code, now=datetime.now(UTC)
    )


@router.get(
    "/open-data/dossier-figures",
    response_model=OpenFiguresRead,
    summary="Open data: each unit's dossier figures for a month (JSON)",
    description=OPEN_DATA_DESCRIPTION,
    responses=OPEN_PROBLEMS,
    **OPEN_ROUTE,
)
async def open_figures(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    month: MonthQuery,
    unit_code: UnitCodeQuery = None,
) -> Response:
    return open_data.json_response(request, await _open_figures(db, settings, month, unit_code))


@router.get(
    "/open-data/dossier-figures.csv",
    summary="Open data: each unit's dossier figures for a month (CSV for Excel)",
    description=OPEN_DATA_DESCRIPTION + " UTF-8 with a byte order mark, one header row.",
    **OPEN_ROUTE,
    responses={**OPEN_PROBLEMS, 200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
    response_class=Response,
)
async def open_figures_csv(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    month: MonthQuery,
    unit_code: UnitCodeQuery = None,
) -> Response:
    return open_data.csv_response(request, await _open_figures(db, settings, month, unit_code))
