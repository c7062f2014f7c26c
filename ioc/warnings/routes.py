"""/api/v1/warnings: officers publish, update and cancel public warnings; anyone reads them as JSON, as CAP
1.2 XML and as an Atom feed.

Static paths (`.atom`) and the `.cap` suffix are declared before `/{warning_id}`, which would take them.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from core.bbox import BBOX_DESCRIPTION, BBOX_EXAMPLE, parse_bbox
from core.errors import Language
from core.http.conditional import NOT_MODIFIED, conditional
from core.http.deps import SessionDep, SettingsDep
from core.http.policies import PUBLIC, Officer
from core.http.read_limits import PUBLIC_READ_LIMIT
from core.http.responses import INVALID_CURSOR, PUBLIC_OPENAPI, UNAUTHENTICATED, problem, responses
from ioc.warnings import feed, reading, service
from ioc.warnings.cap import CAP_CONTENT_TYPE
from ioc.warnings.schemas import WARNINGS_PATH, WarningIn, WarningPage, WarningRead

router = APIRouter(prefix=WARNINGS_PATH, tags=["warnings"])

FEED_SIZE = 200
# Short enough that a cancellation or an expiry reaches a polling aggregator within a minute.
CACHE_CONTROL = "public, max-age=60"


class CapResponse(Response):
    media_type = CAP_CONTENT_TYPE


class AtomResponse(Response):
    media_type = feed.ATOM_CONTENT_TYPE


NOT_FOUND = problem(404, "No warning has this id (code warning_not_found)")
READ_LIMITED = problem(
    429, "Too many anonymous reads from this client (code rate_limited, header Retry-After)"
)
FORBIDDEN = problem(
    403,
    "Not an officer or admin (code forbidden), or a ward concerned is not one of the officer's units "
    "(code outside_unit)",
)
WRITE_PROBLEMS = responses(
    UNAUTHENTICATED,
    FORBIDDEN,
    problem(
        422,
        "Invalid warning (code validation_error: no ward and no polygon, expires not after onset or "
        "already past, a polygon that crosses itself, an unknown value, an alarm not found), a ward code "
        "that names no ward (code unit_not_found), a polygon outside the province (code outside_province)",
    ),
)
CHANGE_PROBLEMS = responses(
    WRITE_PROBLEMS,
    NOT_FOUND,
    problem(409, "The warning was cancelled: it takes no further message (code warning_cancelled)"),
)

WardCodeQuery = Annotated[
    str | None,
    Query(pattern=r"^[0-9]{5}$", description="Only warnings concerning this ward.", examples=["13666"]),
]
BBoxQuery = Annotated[
    str | None, Query(max_length=200, description=BBOX_DESCRIPTION, examples=[BBOX_EXAMPLE])
]
CursorQuery = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]
LanguageQuery = Annotated[Language, Query(description="Language of the entries' texts.")]


@router.post(
    "",
    response_model=WarningRead,
    status_code=status.HTTP_201_CREATED,
    summary="Publish a public warning (CAP Alert) to the wards concerned",
    description="Pushed to the phones following a ward concerned and sent on /ws (topic warnings). An "
    "officer may address only wards of his units; an admin any.",
    responses=WRITE_PROBLEMS,
)
async def publish_warning(
    body: WarningIn, principal: Officer, db: SessionDep, settings: SettingsDep
) -> WarningRead:
    return await service.publish(db, principal, body, sender=settings.ioc_warnings_sender)


@router.get(
    "",
    response_model=WarningPage,
    dependencies=[PUBLIC, PUBLIC_READ_LIMIT],
    openapi_extra=PUBLIC_OPENAPI,
    summary="Current warnings (neither cancelled nor expired), newest first",
    description="Upcoming warnings (onset ahead) are current too.",
    responses=responses(
        INVALID_CURSOR,
        problem(422, "Invalid filters; a box larger than a province gets code area_too_large"),
        READ_LIMITED,
    ),
)
async def current_warnings(
    db: SessionDep,
    ward_code: WardCodeQuery = None,
    bbox: BBoxQuery = None,
    cursor: CursorQuery = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> WarningPage:
    page = await reading.current(
        db,
        ward_code=ward_code,
        bbox=parse_bbox(bbox) if bbox is not None else None,
        cursor=cursor,
        limit=limit,
    )
    return WarningPage(items=page.items, next_cursor=page.next_cursor)


@router.get(
    ".atom",
    response_class=AtomResponse,
    dependencies=[PUBLIC, PUBLIC_READ_LIMIT],
    openapi_extra=PUBLIC_OPENAPI,
    summary="Atom feed of the current warnings, each entry linking to its CAP message",
    description=f"At most {FEED_SIZE} entries, newest first. ETag and Last-Modified: send If-None-Match "
    "or If-Modified-Since to get 304 when nothing changed.",
    responses=responses(
        {200: {"content": {feed.ATOM_CONTENT_TYPE: {"schema": {"type": "string"}}}}},
        NOT_MODIFIED,
        READ_LIMITED,
    ),
)
async def warnings_feed(
    request: Request, db: SessionDep, settings: SettingsDep, lang: LanguageQuery = "vi"
) -> Response:
    entries, updated = await reading.feed_entries(db, FEED_SIZE)
    body = feed.render(
        entries,
        base_url=str(request.base_url).rstrip("/"),
        language=lang,
        updated=updated,
        sender=settings.ioc_warnings_sender,
    )
    return conditional(
        request, body, media_type=feed.ATOM_CONTENT_TYPE, last_modified=updated, cache_control=CACHE_CONTROL
    )


@router.get(
    "/{warning_id}.cap",
    response_class=CapResponse,
    dependencies=[PUBLIC, PUBLIC_READ_LIMIT],
    openapi_extra=PUBLIC_OPENAPI,
    summary="The warning's current message as CAP 1.2 XML",
    description="Valid against the OASIS CAP 1.2 schema; one info block per language (vi-VN, en-US). The "
    "same for as long as no newer message exists (ETag, Last-Modified, 304).",
    responses=responses(
        {200: {"content": {CAP_CONTENT_TYPE: {"schema": {"type": "string"}}}}},
        NOT_MODIFIED,
        NOT_FOUND,
        READ_LIMITED,
    ),
)
async def warning_cap(request: Request, db: SessionDep, warning_id: uuid.UUID) -> Response:
    document, sent = await reading.cap_document(db, warning_id)
    return conditional(
        request,
        document.encode("utf-8"),
        media_type=CAP_CONTENT_TYPE,
        last_modified=sent,
        cache_control=CACHE_CONTROL,
    )


@router.get(
    "/{warning_id}",
    response_model=WarningRead,
    dependencies=[PUBLIC, PUBLIC_READ_LIMIT],
    openapi_extra=PUBLIC_OPENAPI,
    summary="One warning as its current message says it, with its chain of messages",
    description="Expired and cancelled warnings stay readable here (see `state`).",
    responses=responses(NOT_FOUND, READ_LIMITED),
)
async def warning_detail(db: SessionDep, warning_id: uuid.UUID) -> WarningRead:
    return await reading.read(db, warning_id)


@router.put(
    "/{warning_id}",
    response_model=WarningRead,
    summary="Update a warning: a CAP Update message referencing the earlier ones",
    description="The whole warning again, checked as when publishing. The wards it concerned and those it "
    "concerns now are told.",
    responses=CHANGE_PROBLEMS,
)
async def update_warning(
    warning_id: uuid.UUID, body: WarningIn, principal: Officer, db: SessionDep, settings: SettingsDep
) -> WarningRead:
    return await service.update(db, principal, warning_id, body, sender=settings.ioc_warnings_sender)


@router.post(
    "/{warning_id}/cancel",
    response_model=WarningRead,
    summary="Cancel a warning: a CAP Cancel message referencing the earlier ones",
    description="It leaves the current list and the feed at once; its wards are told.",
    responses=responses(
        UNAUTHENTICATED,
        FORBIDDEN,
        NOT_FOUND,
        problem(409, "The warning was cancelled already (code warning_cancelled)"),
    ),
)
async def cancel_warning(
    warning_id: uuid.UUID, principal: Officer, db: SessionDep, settings: SettingsDep
) -> WarningRead:
    return await service.cancel(db, principal, warning_id, sender=settings.ioc_warnings_sender)
