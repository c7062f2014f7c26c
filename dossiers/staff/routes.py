"""/api/v1/dossiers for staff: their units' dossiers, one dossier in full, an officer's apology.

`/{code}` takes any segment, so this router is included after every router with a static path under
/api/v1/dossiers (figures, the citizen's, sync).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from core.calendar import working_calendar
from core.cursor import decode_cursor
from core.http.deps import SessionDep, SettingsDep
from core.http.input_types import UtcMoment
from core.http.policies import Officer, Staff
from core.http.responses import INVALID_CURSOR, UNAUTHENTICATED, problem, responses
from dossiers.deadlines import OnTime
from dossiers.models import AGENCY_CODE_MAX_LENGTH, AGENCY_CODE_PATTERN, DOSSIER_CODE_MAX_LENGTH
from dossiers.staff import service
from dossiers.staff.repository import LIST_SORT, DossierFilters
from dossiers.staff.schemas import (
    DOSSIER_CODE_EXAMPLE,
    DOSSIER_CODE_PATTERN,
    ApologyCreate,
    ApologyRead,
    DossierPage,
    StaffDossierRead,
)
from dossiers.types import Status

MAX_LISTED = 10
CODE_PREFIX_PATTERN = r"^[A-Za-z0-9.-]{1,47}$"

CodePath = Annotated[
    str,
    Path(pattern=DOSSIER_CODE_PATTERN, max_length=DOSSIER_CODE_MAX_LENGTH, examples=[DOSSIER_CODE_EXAMPLE]),
]
NOT_FOUND = problem(404, "No such dossier, or one of another unit (code dossier_not_found)")
BAD_CODE = problem(422, "A dossier code that is not {agency code}-{YYMMDD}-{NNNN} (code validation_error)")

router = APIRouter(prefix="/api/v1/dossiers", tags=["dossiers"])


@router.get(
    "",
    response_model=DossierPage,
    summary="Dossiers of the caller's units, newest receipt first (staff)",
    responses=responses(
        INVALID_CURSOR,
        UNAUTHENTICATED,
        problem(403, "Not staff (code forbidden)"),
        problem(422, "Invalid filters (code validation_error)"),
    ),
)
async def list_dossiers(
    db: SessionDep,
    settings: SettingsDep,
    principal: Staff,
    status: Annotated[list[Status] | None, Query(max_length=MAX_LISTED)] = None,
    on_time: Annotated[
        list[OnTime] | None, Query(max_length=len(OnTime), description="The on-time state now.")
    ] = None,
    agency_code: Annotated[
        str | None, Query(pattern=AGENCY_CODE_PATTERN, max_length=AGENCY_CODE_MAX_LENGTH)
    ] = None,
    procedure_code: Annotated[
        str | None, Query(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9.]+$")
    ] = None,
    received_from: UtcMoment | None = None,
    received_to: UtcMoment | None = None,
    q: Annotated[str | None, Query(pattern=CODE_PREFIX_PATTERN, description="A dossier code prefix.")] = None,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DossierPage:
    filters = DossierFilters(
        statuses=tuple(status or ()),
        on_time=tuple(on_time or ()),
        agency_code=agency_code,
        procedure_code=procedure_code,
        received_from=received_from,
        received_to=received_to,
        code_prefix=q.upper() if q else None,
    )
    page = await service.list_dossiers(
        db,
        principal,
        working_calendar(settings),
        filters,
        cursor=decode_cursor(LIST_SORT, cursor),
        limit=limit,
        now=datetime.now(UTC),
    )
    return DossierPage(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/{code}",
    response_model=StaffDossierRead,
    summary="One dossier in full: timeline with internal steps, applicant, apologies, rating (staff)",
    responses=responses(UNAUTHENTICATED, problem(403, "Not staff (code forbidden)"), NOT_FOUND, BAD_CODE),
)
async def read_dossier(
    db: SessionDep, settings: SettingsDep, principal: Staff, code: CodePath
) -> StaffDossierRead:
    return await service.read_dossier(db, principal, working_calendar(settings), code, now=datetime.now(UTC))


@router.post(
    "/{code}/apologies",
    status_code=201,
    response_model=ApologyRead,
    summary="Apologise for a late dossier with a new due date (officers of its unit)",
    description="The dossier keeps counting as late in the figures. Its applicant and followers are told.",
    responses=responses(
        UNAUTHENTICATED,
        problem(403, "Not an officer (code forbidden)"),
        NOT_FOUND,
        problem(409, "The dossier is not late: neither overdue, due soon nor finished late (code not_late)"),
        problem(
            422,
            "A new due date not after now or not after the current one (code invalid_deadline), a bad "
            "code or body (code validation_error)",
        ),
    ),
)
async def apologise(
    db: SessionDep, settings: SettingsDep, principal: Officer, code: CodePath, body: ApologyCreate
) -> ApologyRead:
    return await service.apologise(
        db, settings, principal, working_calendar(settings), code, body, now=datetime.now(UTC)
    )
