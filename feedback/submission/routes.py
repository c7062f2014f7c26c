"""Submitting reports, uploading photos, duplicates, "me too" and following.

The submission body is read by hand (feedback/submission/body.py): it is either JSON or multipart/form-data
(a `report` part with the same JSON and up to five `photos`), which FastAPI cannot express as one parameter.
Both are documented in the OpenAPI document through `openapi_extra`.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from core.calendar import working_calendar
from core.errors import ProblemError
from core.http.deps import RedisDep, SessionDep, SettingsDep
from core.http.policies import PUBLIC, Authenticated, Citizen
from core.http.responses import PUBLIC_OPENAPI, UNAUTHENTICATED, Responses, problem, responses
from core.identity.ratelimit import Limit, RateLimiter
from core.media import media_storage
from core.media.signing import media_urls
from core.settings import Settings
from feedback.catalogue.cache import active_category
from feedback.reports.access import Audience
from feedback.reports.models import Report
from feedback.reports.read import build_report_read, new_report_read, photo_read, photo_url
from feedback.reports.schemas import PhotoRead, ReportRead
from feedback.submission import photos
from feedback.submission import support as support_follow
from feedback.submission.body import read_json, read_multipart, read_upload, unsupported
from feedback.submission.decode_quota import charge_decodes
from feedback.submission.duplicates import find_nearby_open
from feedback.submission.idempotency import Idempotency, request_hash, user_owner
from feedback.submission.schemas import (
    IDEMPOTENCY_KEY_PATTERN,
    SUBMIT_REQUEST_BODY,
    UPLOAD_REQUEST_BODY,
    NearbyReport,
    SubmissionProblem,
    SubmitReport,
    SupportRead,
)
from feedback.submission.service import NewReport, check_submission, replay, submit_report

REPORT_PATH = "/api/v1/feedback/{report_id}"

CITIZEN_ONLY = responses(UNAUTHENTICATED, problem(403, "Only citizens may do this (code forbidden)"))
PROBLEM_422: dict[str, Any] = {"model": SubmissionProblem}
MEDIA_BUSY = problem(
    503, "Every photo decoder stayed busy; try again later (code media_busy, header Retry-After)"
)
PHOTO_TOO_LARGE = problem(
    413, "A photo is larger than allowed (code image_too_large), or the whole body (code payload_too_large)"
)
SUBMIT_RESPONSES: Responses = {
    200: {
        "model": ReportRead,
        "description": "Replayed: the report an earlier request with the same "
        "Idempotency-Key made (header Idempotent-Replayed: true)",
    },
    **CITIZEN_ONLY,
    **PHOTO_TOO_LARGE,
    **problem(415, "The body is neither JSON nor multipart/form-data (code unsupported_media_type)"),
    422: {
        **PROBLEM_422,
        "description": "Refused, nothing saved: validation_error, category_not_found, "
        "invalid_answers (errors lists each question), outside_province, too_many_photos, photo_not_found, "
        "idempotency_key_reused, or a photo refused (not_an_image, unsupported_image_type, image_corrupt, "
        "image_dimensions_too_large)",
    },
    **problem(
        429,
        "Too many reports, or photos decoded, in the last hour (code rate_limited, header Retry-After)",
    ),
    **MEDIA_BUSY,
}
UPLOAD_RESPONSES: Responses = {
    **UNAUTHENTICATED,
    **PHOTO_TOO_LARGE,
    **problem(429, "Too many photos decoded in the last hour (code rate_limited, header Retry-After)"),
    **MEDIA_BUSY,
    422: {
        **PROBLEM_422,
        "description": "Not a photo we keep: not_an_image, unsupported_image_type, "
        "image_corrupt, image_dimensions_too_large, or validation_error",
    },
}
REPORT_PROBLEMS = responses(
    CITIZEN_ONLY, problem(404, "No such report, or a private report of someone else (code report_not_found)")
)
SUPPORT_PROBLEMS = responses(
    REPORT_PROBLEMS,
    problem(409, "Your own report (code own_report) or one no longer open (code report_not_open)"),
)

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="1 to 100 visible ASCII characters, new for each report: a retry with the same key "
        "and body returns the same report instead of a second one.",
    ),
]

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"])


def _new_report(body: SubmitReport, reporter_id: uuid.UUID, photo_ids: list[uuid.UUID]) -> NewReport:
    return NewReport(
        category_code=body.category_code,
        description=body.description,
        lat=body.location.lat,
        lon=body.location.lon,
        reporter_id=reporter_id,
        address=body.address or None,
        answers=body.answers,
        anonymous=body.anonymous,
        is_public=body.is_public,
        urgent=body.urgent,
        photo_ids=photo_ids,
    )


def _client(request: Request) -> str:
    # The proxy's X-Forwarded-For is applied by the server (proxy_headers), so this is the caller's address.
    return request.client.host if request.client else "unknown"


def _support_read(report: Report, *, supported: bool, following: bool) -> SupportRead:
    return SupportRead(
        report_id=report.id,
        code=report.code,
        support_count=report.support_count,
        follower_count=report.follower_count,
        supported=supported,
        following=following,
    )


async def _reporter_view(db: AsyncSession, report: Report, viewer: uuid.UUID, settings: Settings) -> Any:
    return await build_report_read(
        db, report, Audience.REPORTER, viewer_id=viewer, media=media_urls(settings)
    )


@router.post(
    "",
    status_code=201,
    response_model=ReportRead,
    summary="File a report (JSON, or multipart/form-data with photos)",
    responses=SUBMIT_RESPONSES,
    openapi_extra={"requestBody": SUBMIT_REQUEST_BODY},
)
async def submit(
    request: Request,
    response: Response,
    db: SessionDep,
    settings: SettingsDep,
    redis: RedisDep,
    principal: Citizen,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Any:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        body, files = await read_json(request), list[bytes]()
    elif content_type == "multipart/form-data":
        body, files = await read_multipart(request, settings)
    else:
        raise unsupported(content_type)
    idempotency = None
    if idempotency_key is not None:
        digests = [hashlib.sha256(data).hexdigest() for data in files]
        canonical = body.model_dump(mode="json")
        idempotency = Idempotency(
            user_owner(principal.user_id), idempotency_key, request_hash(canonical, photo_digests=digests)
        )
        if (earlier := await replay(db, idempotency)) is not None:
            response.status_code = 200
            response.headers["Idempotent-Replayed"] = "true"
            response.headers["Location"] = REPORT_PATH.format(report_id=earlier.id)
            return await _reporter_view(db, earlier, principal.user_id, settings)
    limiter = RateLimiter(redis)
    hit = await limiter.hit(
        [Limit("feedback:submit", str(principal.user_id), settings.feedback_submissions_per_hour, 3600)]
    )
    decoded = False
    try:
        photo_ids = list(body.photo_ids)
        if files:
            # Everything is checked before the photos are stored, so a refused report leaves no files.
            await check_submission(
                db, _new_report(body, principal.user_id, photo_ids), extra_photos=len(files)
            )
            await charge_decodes(
                redis, settings, user_id=principal.user_id, client=_client(request), photos=len(files)
            )
            decoded = True
            prepared = [await photos.prepare_upload(settings, data) for data in files]
            storage = media_storage(settings)
            for processed in prepared:
                saved = await photos.save_upload(db, storage, processed, uploader_id=principal.user_id)
                photo_ids.append(saved.id)
        new = _new_report(body, principal.user_id, photo_ids)
        # The key, if any, was claimed above and stays locked until the commit.
        report, _ = await submit_report(db, working_calendar(), new, idempotency=idempotency, claimed=True)
    except ProblemError:
        # A report refused before any photo was decoded does not use up the citizen's hourly budget; one
        # that got as far as decoding has cost what a report costs.
        if not decoded:
            await limiter.release(hit)
        raise
    response.headers["Location"] = REPORT_PATH.format(report_id=report.id)
    if not photo_ids:
        return new_report_read(report, [], actor_role=new.actor_role, media=media_urls(settings))
    return await _reporter_view(db, report, principal.user_id, settings)


@router.post(
    "/photos",
    status_code=201,
    response_model=PhotoRead,
    summary="Upload a photo for a report or a proof of the fix (sanitised: no EXIF, no GPS)",
    responses=UPLOAD_RESPONSES,
    openapi_extra={"requestBody": UPLOAD_REQUEST_BODY},
)
async def upload_photo(
    request: Request, db: SessionDep, settings: SettingsDep, redis: RedisDep, principal: Authenticated
) -> PhotoRead:
    # Read by hand, after the policy: a caller who may not upload never gets a part parsed or spooled.
    data = await read_upload(request, settings)
    await charge_decodes(redis, settings, user_id=principal.user_id, client=_client(request), photos=1)
    photo = await photos.store_upload(
        db, media_storage(settings), settings, data, uploader_id=principal.user_id
    )
    # Not yet attached: private until a public report shows it.
    return photo_read(photo, media_urls(settings), public=False)


@router.get(
    "/nearby",
    response_model=list[NearbyReport],
    summary="Open public reports of a category near a point: check for the same problem before filing",
    responses={
        422: {
            **PROBLEM_422,
            "description": "Invalid query or unknown category (code validation_error or category_not_found)",
        }
    },
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[PUBLIC],
)
async def nearby(
    db: SessionDep,
    settings: SettingsDep,
    category_code: Annotated[str, Query(min_length=1, max_length=64)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    lon: Annotated[float, Query(ge=-180, le=180)],
) -> list[NearbyReport]:
    category = await active_category(db, category_code)
    since = datetime.now(UTC) - timedelta(days=category.duplicate_window_days)
    rows = await find_nearby_open(
        db, category.code, lat, lon, radius_m=category.duplicate_radius_m, since=since
    )
    media = media_urls(settings)
    return [
        NearbyReport(
            id=row.id,
            code=row.code,
            category_code=row.category_code,
            description=row.description,
            location={"lat": row.lat, "lon": row.lon},
            address=row.address,
            ward_code=row.ward_code,
            status=row.status,
            urgent=row.urgent,
            created_at=row.created_at,
            resolve_due_at=row.resolve_due_at,
            support_count=row.support_count,
            # Only public reports are near: their photos are public.
            thumbnail_url=photo_url(row.thumbnail_key, media, public=True) if row.thumbnail_key else None,
            distance_m=round(row.distance_m, 1),
        )
        for row in rows
    ]


@router.post(
    "/{report_id}/support",
    status_code=201,
    response_model=SupportRead,
    summary='Say "me too" on an open report of someone else (and follow it)',
    responses={
        200: {"model": SupportRead, "description": "Already supported: nothing changed"},
        **SUPPORT_PROBLEMS,
    },
)
async def support(
    report_id: uuid.UUID,
    response: Response,
    db: SessionDep,
    principal: Citizen,
) -> SupportRead:
    report, created = await support_follow.support(db, report_id, principal.user_id)
    if not created:
        response.status_code = 200
    return _support_read(report, supported=True, following=True)


@router.delete(
    "/{report_id}/support",
    status_code=204,
    summary='Withdraw one\'s "me too"',
    responses=REPORT_PROBLEMS,
)
async def withdraw_support(
    report_id: uuid.UUID,
    db: SessionDep,
    principal: Citizen,
) -> Response:
    await support_follow.withdraw_support(db, report_id, principal.user_id)
    return Response(status_code=204)


@router.post(
    "/{report_id}/follow",
    status_code=201,
    response_model=SupportRead,
    summary="Follow a public report, or one's own: get its status changes pushed",
    responses={
        200: {"model": SupportRead, "description": "Already following: nothing changed"},
        **REPORT_PROBLEMS,
    },
)
async def follow(
    report_id: uuid.UUID,
    response: Response,
    db: SessionDep,
    principal: Citizen,
) -> SupportRead:
    report, created = await support_follow.follow(db, report_id, principal.user_id)
    if not created:
        response.status_code = 200
    supported = await support_follow.has_supported(db, report.id, principal.user_id)
    return _support_read(report, supported=supported, following=True)


@router.delete(
    "/{report_id}/follow",
    status_code=204,
    summary="Stop following a report",
    responses=REPORT_PROBLEMS,
)
async def unfollow(
    report_id: uuid.UUID,
    db: SessionDep,
    principal: Citizen,
) -> Response:
    await support_follow.unfollow(db, report_id, principal.user_id)
    return Response(status_code=204)
