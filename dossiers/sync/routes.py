"""The agencies' sync API: POST a batch of updates, read back a dossier and the applicants' ratings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from core.cursor import decode_cursor
from core.http.deps import SessionDep, SettingsDep
from core.http.responses import INVALID_CURSOR, problem, responses
from dossiers.agencies.access import SyncAgency
from dossiers.models import DOSSIER_CODE_MAX_LENGTH
from dossiers.sync import reads, repository, service
from dossiers.sync.reads import AgencyDossierRead
from dossiers.sync.schemas import MAX_ITEMS, RatingPage, SyncRequest, SyncResponse

SYNC_KEY = responses(
    problem(401, "No live API key in X-API-Key (code api_key_invalid)"),
    problem(
        403,
        "The key lacks the scope dossiers:sync (code insufficient_scope) or is bound to no agency "
        "(code api_key_not_bound)",
    ),
)

router = APIRouter(prefix="/api/v1/dossiers/sync", tags=["dossiers sync"])


@router.post(
    "",
    response_model=SyncResponse,
    response_model_exclude_none=True,
    summary=f"Apply a batch of 1 to {MAX_ITEMS} dossier upserts, status changes, apologies (agency systems)",
    description="Each item gets a result, in input order: created, updated, unchanged (a repeat), stale "
    "(older than the dossier's current status) or rejected with a stable `reason`. The answer is 200 "
    "whenever the request itself is valid, even when every item is rejected. Updates of one dossier apply in "
    "their time order, after the batch's dossier items.",
    responses=responses(
        SYNC_KEY,
        problem(422, f"Not a list of 1 to {MAX_ITEMS} items (code validation_error); nothing applied"),
    ),
)
async def sync(body: SyncRequest, agency: SyncAgency, db: SessionDep, settings: SettingsDep) -> SyncResponse:
    applied = await service.apply_batch(db, settings, agency, body.items, now=datetime.now(UTC))
    return applied.response


@router.get(
    "/ratings",
    response_model=RatingPage,
    summary="The applicants' ratings of the agency's dossiers, oldest first (agency systems)",
    responses=responses(SYNC_KEY, INVALID_CURSOR),
)
async def ratings(
    agency: SyncAgency,
    db: SessionDep,
    since: Annotated[datetime | None, Query(description="Only ratings made at or after this time.")] = None,
    cursor: Annotated[
        str | None, Query(max_length=200, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> RatingPage:
    return await reads.agency_ratings(
        db, agency.id, since=since, cursor=decode_cursor(repository.RATING_SORT, cursor), limit=limit
    )


@router.get(
    "/dossiers/{code}",
    response_model=AgencyDossierRead,
    summary="One of the agency's dossiers as we hold it, with its steps and apologies (agency systems)",
    responses=responses(
        SYNC_KEY, problem(404, "No dossier of this agency has the code (code dossier_not_found)")
    ),
)
async def dossier(
    code: Annotated[str, Path(min_length=1, max_length=DOSSIER_CODE_MAX_LENGTH)],
    agency: SyncAgency,
    db: SessionDep,
    settings: SettingsDep,
) -> AgencyDossierRead:
    now = datetime.now(UTC)
    return await reads.agency_dossier(db, agency, code, service.deadlines_of(settings), now=now)
