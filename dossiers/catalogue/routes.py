"""The procedure catalogue: public search, one procedure, the fields; the agencies' upsert.

The public reads carry an ETag and a short public Cache-Control: the catalogue changes a few times a year,
and an app that pages through it again gets 304s.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from core.errors import Message, ProblemError
from core.http.conditional import NOT_MODIFIED, cached
from core.http.deps import SessionDep
from core.http.policies import PUBLIC, require_api_key
from core.http.read_limits import PUBLIC_READ_LIMIT
from core.http.responses import INVALID_CURSOR, PUBLIC_OPENAPI, problem, responses
from core.identity.api_keys import ApiClient
from dossiers.catalogue import read, repository, search, upsert
from dossiers.catalogue.schemas import (
    PROCEDURE_CODE_EXAMPLE,
    PROCEDURE_CODE_PATTERN,
    FieldRead,
    ProcedureBatch,
    ProcedurePage,
    ProcedureRead,
    SyncResult,
    normalise_code,
)
from dossiers.models import NAME_MAX_LENGTH
from dossiers.types import AgencyLevel, OnlineLevel

JSON = "application/json"
# Long enough for a minute of browsing without reloading; short enough that a change shows within it.
CACHE_CONTROL = "public, max-age=60"
# A cursor holds a folded name (at most 500 characters) and a code, in base64.
CURSOR_MAX_LENGTH = 1024

SEARCH_PROBLEMS = responses(
    NOT_MODIFIED,
    INVALID_CURSOR,
    problem(
        422,
        "q longer than 200 characters or without a letter or digit, an unknown level or "
        "online_level, limit outside 1..100 (code validation_error)",
    ),
    problem(429, "Too many anonymous reads from this client (code rate_limited, header Retry-After)"),
)
PROCEDURE_PROBLEMS = responses(
    NOT_MODIFIED, problem(404, "No procedure has this code (code procedure_not_found)")
)
SYNC_PROBLEMS = responses(
    problem(401, "No live API key in X-API-Key (code api_key_invalid)"),
    problem(403, "The key lacks the dossiers:sync scope (code insufficient_scope)"),
    problem(413, "The body is larger than http_batch_max_bytes (code payload_too_large)"),
    problem(
        422, "No procedures, more than 500, or a body that is not a list of objects (code validation_error)"
    ),
)

SyncClient = Annotated[ApiClient, require_api_key("dossiers:sync")]
CodePath = Annotated[
    str,
    Path(
        pattern=PROCEDURE_CODE_PATTERN.replace("[A-Z]", "[A-Za-z]"),
        description="The national code (letters in either case).",
        examples=[PROCEDURE_CODE_EXAMPLE],
    ),
]

router = APIRouter(prefix="/api/v1", tags=["procedures"])


@router.get(
    "/procedures",
    response_model=ProcedurePage,
    summary="Search the procedure catalogue, diacritics and case ignored, best match first",
    description="With `q`: ranked (the code itself, names starting with the query, the words as a phrase, "
    "all the words, some of them or a near spelling). Without: alphabetical. Pages follow `next_cursor`; a "
    "cursor belongs to its query and filters.",
    responses=SEARCH_PROBLEMS,
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[PUBLIC, PUBLIC_READ_LIMIT],
)
async def search_procedures(
    request: Request,
    db: SessionDep,
    q: Annotated[
        str | None, Query(max_length=search.MAX_QUERY_LENGTH, examples=["dang ky kinh doanh"])
    ] = None,
    field: Annotated[
        str | None,
        Query(max_length=NAME_MAX_LENGTH, description="A field_vi or field_en of /procedure-fields."),
    ] = None,
    level: AgencyLevel | None = None,
    online_level: OnlineLevel | None = None,
    cursor: Annotated[
        str | None, Query(max_length=CURSOR_MAX_LENGTH, description="`next_cursor` of the previous page.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    page = await search.search(
        db,
        q=q,
        field=field,
        level=level.value if level else None,
        online_level=online_level.value if online_level else None,
        cursor=cursor,
        limit=limit,
    )
    body = ProcedurePage(items=page.items, next_cursor=page.next_cursor)
    return cached(request, body.model_dump_json().encode(), media_type=JSON, cache_control=CACHE_CONTROL)


@router.get(
    "/procedure-fields",
    response_model=list[FieldRead],
    summary="The fields of the catalogue (lĩnh vực), with their number of procedures",
    responses=NOT_MODIFIED,
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[PUBLIC],
)
async def procedure_fields(request: Request, db: SessionDep) -> Response:
    fields = [FieldRead(**field) for field in await search.field_list(db)]
    body = b"[" + b",".join(field.model_dump_json().encode() for field in fields) + b"]"
    return cached(request, body, media_type=JSON, cache_control=CACHE_CONTROL)


@router.get(
    "/procedures/{code}",
    response_model=ProcedureRead,
    summary="One procedure: documents to bring, fee, deadline in words, online level",
    responses=PROCEDURE_PROBLEMS,
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[PUBLIC],
)
async def get_procedure(request: Request, db: SessionDep, code: CodePath) -> Response:
    row = await repository.get_procedure(db, normalise_code(code))
    if row is None:
        raise ProblemError(
            404,
            "procedure_not_found",
            Message(
                f"Không có thủ tục hành chính mã {code}", f"No administrative procedure has the code {code}"
            ),
        )
    body = read.detail(row).model_dump_json().encode()
    return cached(request, body, media_type=JSON, cache_control=CACHE_CONTROL)


@router.post(
    "/dossiers/sync/procedures",
    response_model=SyncResult,
    tags=["dossier sync"],
    summary="Agencies upsert procedures of the national catalogue by code, up to 500 a call",
    description="Each item is created, updated, unchanged (the same item again changes nothing) or rejected "
    "with a stable reason; a rejected item does not stop the others. The catalogue is national: any agency "
    "with the dossiers:sync scope may change any procedure.",
    responses=SYNC_PROBLEMS,
)
async def sync_procedures(db: SessionDep, client: SyncClient, batch: ProcedureBatch) -> SyncResult:
    return await upsert.apply_batch(db, batch, client_name=client.name)
