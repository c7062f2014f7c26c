"""The citizen's routes: the public lookup by code and second factor, and her own dossiers, follows and
ratings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from core.cursor import decode_cursor
from core.db import read_connection
from core.http.deps import RedisDep, SessionDep, SettingsDep, resources_of
from core.http.lean import LeanRoute, read_body
from core.http.policies import PUBLIC, Citizen
from core.http.read_limits import peer_address
from core.http.responses import INVALID_CURSOR, PUBLIC_OPENAPI, UNAUTHENTICATED, problem, responses
from dossiers.citizen import service
from dossiers.citizen.schemas import (
    DossierCode,
    DossierView,
    FollowBody,
    LookupBody,
    MyDossierPage,
    MyDossierView,
    RatingBody,
)

router = APIRouter(tags=["dossiers"])

NOT_FOUND = problem(
    404, "No such dossier, or the factor is not its own (code dossier_not_found; the same answer for both)"
)
NOT_HERS = problem(
    404, "No dossier with this code is linked to the citizen or followed (code dossier_not_found)"
)
CITIZEN_ONLY = problem(403, "Citizens only (code forbidden)")
LIMITED = responses(
    problem(
        429,
        "Too many failed lookups from this client, or of this code (code rate_limited, header Retry-After)",
    ),
    problem(
        503, "The lookup limits cannot be checked right now (code lookup_unavailable, header Retry-After)"
    ),
)
BAD_BODY = problem(
    422, "The body is not valid: a code {agency}-{YYMMDD}-{NNNN}, 4 digits (code validation_error)"
)
CursorQuery = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]


def _now() -> datetime:
    return datetime.now(UTC)


LOOKUP_PATH = "/api/v1/dossiers/lookup"


@router.post(
    LOOKUP_PATH,
    dependencies=[PUBLIC],
    openapi_extra=PUBLIC_OPENAPI,
    summary="Look up a dossier by its code and the last 4 digits of the applicant's phone or ID number",
    response_model=DossierView,
    responses=responses(NOT_FOUND, BAD_BODY, LIMITED),
)
async def lookup(body: LookupBody, request: Request) -> Response:
    # The busiest route of the product: served by `lookup_lean` below unless lean routes are turned off.
    return await _answer_lookup(request, body)


async def lookup_lean(request: Request) -> Response:
    return await _answer_lookup(request, await read_body(request, LookupBody))


async def _answer_lookup(request: Request, body: LookupBody) -> Response:
    # One statement on a pooled connection, without a session or a transaction, and the view serialised
    # once, not validated again as a response model.
    resources = resources_of(request)
    async with read_connection(resources.sessionmaker) as connection:
        view = await service.lookup(
            connection,
            resources.redis,
            resources.settings,
            code=body.code,
            factor=body.factor,
            client_ip=peer_address(request),
            now=_now(),
        )
    return Response(view.model_dump_json(), media_type="application/json")


LEAN_ROUTES = (LeanRoute("POST", LOOKUP_PATH, lookup_lean),)


@router.get(
    "/api/v1/me/dossiers",
    summary="The citizen's dossiers: filed under her verified phone or ID number, or followed; newest first",
    responses=responses(UNAUTHENTICATED, CITIZEN_ONLY, INVALID_CURSOR),
)
async def my_dossiers(
    db: SessionDep,
    principal: Citizen,
    settings: SettingsDep,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> MyDossierPage:
    page = await service.my_dossiers(
        db,
        settings,
        principal.user_id,
        cursor=decode_cursor(service.MY_SORT, cursor),
        limit=limit,
        now=_now(),
    )
    return MyDossierPage(items=page.items, next_cursor=page.next_cursor)


@router.get(
    "/api/v1/me/dossiers/{code}",
    summary="One of the citizen's dossiers, with her rating",
    responses=responses(UNAUTHENTICATED, CITIZEN_ONLY, NOT_HERS),
)
async def my_dossier(
    code: DossierCode, db: SessionDep, principal: Citizen, settings: SettingsDep
) -> MyDossierView:
    return await service.my_dossier(db, settings, principal.user_id, code, now=_now())


@router.post(
    "/api/v1/me/dossier-follows",
    status_code=201,
    summary="Follow a dossier (the factor is needed unless it is filed under her phone or ID number)",
    responses={
        200: {"model": MyDossierView, "description": "Already following: nothing changed"},
        **responses(UNAUTHENTICATED, CITIZEN_ONLY, NOT_FOUND, BAD_BODY, LIMITED),
    },
)
async def follow(
    body: FollowBody,
    request: Request,
    response: Response,
    db: SessionDep,
    redis: RedisDep,
    principal: Citizen,
    settings: SettingsDep,
) -> MyDossierView:
    view, created = await service.follow(
        db,
        redis,
        settings,
        principal.user_id,
        code=body.code,
        factor=body.factor,
        client_ip=peer_address(request),
        now=_now(),
    )
    if not created:
        response.status_code = 200
    return view


@router.delete(
    "/api/v1/me/dossier-follows/{code}",
    status_code=204,
    summary="Stop following a dossier",
    responses=responses(
        UNAUTHENTICATED,
        CITIZEN_ONLY,
        problem(404, "She does not follow this dossier (code dossier_not_found)"),
    ),
)
async def unfollow(code: DossierCode, db: SessionDep, principal: Citizen) -> Response:
    await service.unfollow(db, principal.user_id, code)
    return Response(status_code=204)


@router.post(
    "/api/v1/me/dossiers/{code}/rating",
    status_code=201,
    summary="Rate how a dossier was handled, once its result was returned (once per dossier)",
    responses=responses(
        UNAUTHENTICATED,
        CITIZEN_ONLY,
        NOT_HERS,
        problem(
            409,
            "The result has not been returned yet (code not_returned), or the dossier was rated already "
            "(code already_rated)",
        ),
        problem(422, "The body is not valid (code validation_error)"),
    ),
)
async def rate(
    code: DossierCode, body: RatingBody, db: SessionDep, principal: Citizen, settings: SettingsDep
) -> MyDossierView:
    return await service.rate(
        db, settings, principal.user_id, code, rating=body.rating, comment=body.comment, now=_now()
    )
