"""What devices sent, over HTTP: a metric's history and a camera's events for staff, dead letters for
admins."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from core.db import utcnow
from core.http.deps import SessionDep, SettingsDep
from core.http.policies import Admin, Staff
from core.http.responses import INVALID_CURSOR, UNAUTHENTICATED, problem, responses
from core.media.signing import media_urls
from iot.registry import service as registry
from iot.registry.routes import FORBIDDEN, NOT_FOUND, DeviceId
from iot.telemetry import service
from iot.telemetry.models import METRIC_NAME_PATTERN
from iot.telemetry.schemas import Bucket, CameraEventPage, DeadLetterPage, TelemetryHistory
from iot.types import DeadLetterReason

_RANGE = problem(
    422,
    "Invalid input: from not before to, or a range longer than the bucket allows "
    "(raw 2 days, 1m 7 days, 5m 31 days, 1h 366 days) (code validation_error)",
)

router = APIRouter(tags=["devices"])


@router.get(
    "/api/v1/devices/{device_id}/telemetry",
    response_model=TelemetryHistory,
    summary="A metric's history: raw readings or buckets",
    responses=responses(UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, _RANGE),
)
async def device_telemetry(
    db: SessionDep,
    principal: Staff,
    device_id: DeviceId,
    metric: Annotated[str, Query(pattern=METRIC_NAME_PATTERN, examples=["pm25"])],
    start: Annotated[
        AwareDatetime | None,
        Query(alias="from", description="RFC 3339 with an offset; default: `to` minus 24 hours."),
    ] = None,
    end: Annotated[
        AwareDatetime | None,
        Query(alias="to", description="RFC 3339 with an offset (excluded); default: now."),
    ] = None,
    bucket: Annotated[
        Bucket, Query(description="raw readings, or 1m, 5m, 1h buckets (avg, min, max, count).")
    ] = Bucket.FIVE_MINUTES,
) -> TelemetryHistory:
    await registry.ensure_visible(db, principal, device_id)
    now = utcnow()
    first, last = service.checked_range(start, end, bucket, now)
    return await service.metric_history(db, device_id, metric, bucket, first, last, now=now)


@router.get(
    "/api/v1/devices/{device_id}/events",
    response_model=CameraEventPage,
    summary="A camera's events, newest first",
    responses=responses(UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, INVALID_CURSOR),
)
async def device_events(
    db: SessionDep,
    settings: SettingsDep,
    principal: Staff,
    device_id: DeviceId,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CameraEventPage:
    await registry.ensure_visible(db, principal, device_id)
    return await service.camera_events(db, device_id, cursor=cursor, limit=limit, media=media_urls(settings))


@router.get(
    "/api/v1/ingest/dead-letters",
    response_model=DeadLetterPage,
    tags=["ingest"],
    summary="Messages the consumer set aside, newest first",
    responses=responses(UNAUTHENTICATED, FORBIDDEN, INVALID_CURSOR),
)
async def list_dead_letters(
    db: SessionDep,
    _: Admin,
    reason: Annotated[list[DeadLetterReason] | None, Query(description="Repeatable.")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeadLetterPage:
    reasons = [value.value for value in reason or ()]
    return await service.dead_letters(db, reasons, cursor=cursor, limit=limit)
