"""Admin routes for agencies and their sync keys."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, status

from core.cursor import decode_cursor
from core.http.deps import SessionDep
from core.http.policies import Admin
from core.http.responses import INVALID_CURSOR, UNAUTHENTICATED, problem, responses
from dossiers.agencies import repository, service
from dossiers.agencies.schemas import AgencyCreate, AgencyKeyCreate, AgencyKeyCreated, AgencyPage, AgencyRead
from dossiers.models import AGENCY_CODE_MAX_LENGTH, AGENCY_CODE_PATTERN

ADMIN_ONLY = responses(UNAUTHENTICATED, problem(403, "Only admins may do this (code forbidden)"))

AgencyCodePath = Annotated[
    str,
    Path(pattern=AGENCY_CODE_PATTERN, max_length=AGENCY_CODE_MAX_LENGTH, examples=["000.00.22.H56"]),
]

router = APIRouter(prefix="/api/v1/dossier-agencies", tags=["dossiers"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AgencyRead,
    summary="Register an agency with a one-stop office (admins)",
    responses=responses(
        ADMIN_ONLY,
        problem(409, "The agency code is taken (code agency_code_taken)"),
        problem(
            422,
            "The body is not valid (code validation_error), or no unit has its unit_code "
            "(code unit_not_found)",
        ),
    ),
)
async def create_agency(body: AgencyCreate, _: Admin, db: SessionDep) -> AgencyRead:
    return AgencyRead.of(await service.create_agency(db, body, now=datetime.now(UTC)))


@router.get(
    "",
    response_model=AgencyPage,
    summary="Agencies, oldest first, a page at a time (admins)",
    responses=responses(ADMIN_ONLY, INVALID_CURSOR),
)
async def list_agencies(
    _: Admin,
    db: SessionDep,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AgencyPage:
    page = await service.list_agencies(db, cursor=decode_cursor(repository.AGENCY_SORT, cursor), limit=limit)
    return AgencyPage(items=[AgencyRead.of(agency) for agency in page.items], next_cursor=page.next_cursor)


@router.post(
    "/{code}/keys",
    status_code=status.HTTP_201_CREATED,
    response_model=AgencyKeyCreated,
    summary="Create an API key (scope dossiers:sync) for an agency's system; the key is shown only in this "
    "answer (admins)",
    responses=responses(ADMIN_ONLY, problem(404, "No agency has this code (code agency_not_found)")),
)
async def create_agency_key(
    code: AgencyCodePath, body: AgencyKeyCreate, admin: Admin, db: SessionDep
) -> AgencyKeyCreated:
    agency, created = await service.create_sync_key(
        db, code, name=body.name, created_by=admin.user_id, now=datetime.now(UTC)
    )
    return AgencyKeyCreated.for_agency(agency, created)
