"""Dispatch of an alarm: answering an offer, the alarm's dispatches, progress from the field and resolution;
and the photos the assignee uploads for them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Request

from core.http.deps import RedisDep, SessionDep, SettingsDep
from core.http.policies import Staff
from core.http.responses import UNAUTHENTICATED, problem, responses
from core.media import media_storage
from core.media.signing import media_urls
from feedback.submission.body import read_upload
from feedback.submission.decode_quota import charge_decodes
from feedback.submission.photos import prepare_upload
from feedback.submission.routes import UPLOAD_RESPONSES
from feedback.submission.schemas import UPLOAD_REQUEST_BODY
from ioc.dispatch import answers, progress, views
from ioc.dispatch.policy import FieldStaff
from ioc.dispatch.schemas import (
    AcceptRead,
    Decline,
    DispatchRead,
    FieldPhotoRead,
    OfferRead,
    ProgressRead,
    ProgressUpdate,
    Resolution,
    ResolvedRead,
)
from ioc.dispatch.views import offer_read

PREFIX = "/api/v1/alerts"

NO_SUCH_ALARM = problem(404, "No such alarm, or one of another unit (code alarm_not_found)")
ANSWER_ERRORS = responses(
    UNAUTHENTICATED,
    problem(
        403, "Field staff only (code forbidden), and only on an alarm offered to them (code not_offered)"
    ),
    NO_SUCH_ALARM,
    problem(
        409,
        "The alarm is cleared (code alarm_cleared), a colleague took it (code dispatch_taken), or the "
        "offer is answered or expired (code offer_closed)",
    ),
)
ASSIGNEE_ERRORS = responses(
    UNAUTHENTICATED,
    problem(
        403,
        "Staff only (code forbidden), and only the person the alarm is assigned to (code not_alarm_assignee)",
    ),
    NO_SUCH_ALARM,
    problem(409, "The alarm is already cleared (code alarm_cleared)"),
    problem(
        422,
        "The body is not valid (code validation_error), or a photo id is not an upload of yours free to "
        "use (code photo_not_found)",
    ),
)
STAFF_READ_ERRORS = responses(UNAUTHENTICATED, problem(403, "Staff only (code forbidden)"), NO_SUCH_ALARM)

router = APIRouter(tags=["dispatch"])


def _now() -> datetime:
    return datetime.now(UTC)


@router.post(
    f"{PREFIX}/{{alarm_id}}/dispatch/accept",
    response_model=AcceptRead,
    summary="Accept the alarm offered to you: the first to accept is assigned, the others are told",
    responses=ANSWER_ERRORS,
)
async def accept(db: SessionDep, principal: FieldStaff, alarm_id: uuid.UUID) -> AcceptRead:
    alarm, offer = await answers.accept(db, principal, alarm_id, _now())
    assert alarm.assignee_id is not None
    return AcceptRead(alarm_id=alarm.id, assignee_id=alarm.assignee_id, offer=offer_read(offer))


@router.post(
    f"{PREFIX}/{{alarm_id}}/dispatch/decline",
    response_model=OfferRead,
    summary="Decline the alarm offered to you (with an optional reason)",
    responses=responses(ANSWER_ERRORS, problem(422, "The body is not valid (code validation_error)")),
)
async def decline(
    db: SessionDep, principal: FieldStaff, alarm_id: uuid.UUID, body: Annotated[Decline | None, Body()] = None
) -> OfferRead:
    reason = None if body is None else body.reason
    return offer_read(await answers.decline(db, principal, alarm_id, reason, _now()))


@router.get(
    f"{PREFIX}/{{alarm_id}}/dispatches",
    response_model=list[DispatchRead],
    summary="The alarm's dispatches, oldest first, with every offer and its answer",
    responses=STAFF_READ_ERRORS,
)
async def dispatches(db: SessionDep, principal: Staff, alarm_id: uuid.UUID) -> list[DispatchRead]:
    return await views.dispatches_of(db, principal, alarm_id)


@router.post(
    f"{PREFIX}/{{alarm_id}}/progress",
    status_code=201,
    response_model=ProgressRead,
    summary="Report progress from the field: a note and photos uploaded before (the assignee only)",
    responses=ASSIGNEE_ERRORS,
)
async def add_progress(
    db: SessionDep, settings: SettingsDep, principal: Staff, alarm_id: uuid.UUID, body: ProgressUpdate
) -> ProgressRead:
    row = await progress.add_progress(db, principal, alarm_id, body.note, body.photo_ids, _now())
    [read] = await progress.read_notes(db, [row], media_urls(settings))
    return read


@router.get(
    f"{PREFIX}/{{alarm_id}}/progress",
    response_model=list[ProgressRead],
    summary="The notes from the field, oldest first, with their photos",
    responses=STAFF_READ_ERRORS,
)
async def list_progress(
    db: SessionDep, settings: SettingsDep, principal: Staff, alarm_id: uuid.UUID
) -> list[ProgressRead]:
    return await progress.notes(db, principal, alarm_id, media_urls(settings))


@router.post(
    f"{PREFIX}/{{alarm_id}}/resolve",
    response_model=ResolvedRead,
    summary="Resolve the alarm in the field: it is cleared, with an optional note and photos (the assignee "
    "only)",
    responses=ASSIGNEE_ERRORS,
)
async def resolve(
    db: SessionDep,
    settings: SettingsDep,
    principal: Staff,
    alarm_id: uuid.UUID,
    body: Annotated[Resolution | None, Body()] = None,
) -> ResolvedRead:
    given = body or Resolution()
    alarm, row = await progress.resolve(db, principal, alarm_id, given.note, given.photo_ids, _now())
    [read] = await progress.read_notes(db, [row], media_urls(settings))
    assert alarm.cleared_at is not None
    return ResolvedRead(alarm_id=alarm.id, status=alarm.status, cleared_at=alarm.cleared_at, resolution=read)


@router.post(
    "/api/v1/dispatch/photos",
    status_code=201,
    response_model=FieldPhotoRead,
    summary="Upload a photo for a progress note or a resolution (sanitised: no EXIF, no GPS)",
    responses=responses(UPLOAD_RESPONSES, problem(403, "Staff only (code forbidden)")),
    openapi_extra={"requestBody": UPLOAD_REQUEST_BODY},
)
async def upload_photo(
    request: Request, db: SessionDep, settings: SettingsDep, redis: RedisDep, principal: Staff
) -> FieldPhotoRead:
    # Read by hand, after the policy: a caller who may not upload never gets a part parsed or spooled.
    data = await read_upload(request, settings)
    client = request.client.host if request.client else "unknown"
    await charge_decodes(redis, settings, user_id=principal.user_id, client=client, photos=1)
    processed = await prepare_upload(settings, data)
    photo = await progress.save_upload(db, media_storage(settings), processed, uploader_id=principal.user_id)
    return progress.photo_read(photo, media_urls(settings))
