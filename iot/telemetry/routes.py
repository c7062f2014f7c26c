"""What devices sent, over HTTP: a metric's history and a camera's events for staff, dead letters for admins.

Not `from __future__ import annotations`: FastAPI must see the annotations of the route signatures as
objects (the session dependency and the policies handed in by the application).
"""

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.params import Depends as DependsParam
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.errors import Message, ProblemError
from core.identity.principal import Principal
from core.identity.scope import ensure_can_see_unit
from iot import history, registry
from iot.telemetry_models import METRIC_NAME_PATTERN
from iot.telemetry_schemas import MAX_RANGE, Bucket, CameraEventPage, DeadLetterPage, TelemetryHistory
from iot.types import DeadLetterReason

SessionProvider = Callable[..., AsyncIterator[AsyncSession]]

DeviceId = Annotated[uuid.UUID, Path(description="The device's id.")]
DEFAULT_RANGE = timedelta(hours=24)
# Moments outside these are no reading's; refusing them also keeps date arithmetic from overflowing.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)

_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid access token (code unauthenticated, invalid_token or token_expired)"},
    403: {
        "description": "Your role may not do this (code forbidden), or the device is outside your units "
        "(code outside_unit)"
    },
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such device (code device_not_found)"}}
_RANGE: dict[int | str, dict[str, Any]] = {
    422: {
        "description": "Invalid input: from not before to, or a range longer than the bucket allows "
        "(raw 2 days, 1m 7 days, 5m 31 days, 1h 366 days) (code validation_error)"
    },
}
_CURSOR: dict[int | str, dict[str, Any]] = {
    400: {"description": "The cursor was not made by this list (code invalid_cursor)"},
}


def _invalid_range(message: Message) -> ProblemError:
    return ProblemError(
        422,
        "validation_error",
        message,
        extensions={
            "errors": [
                {
                    "location": ["query", "from"],
                    "pointer": "",
                    "type": "value_error",
                    "message": message.en,
                }
            ]
        },
    )


def checked_range(
    start: datetime | None, end: datetime | None, bucket: Bucket, now: datetime
) -> tuple[datetime, datetime]:
    """The range asked for (the last 24 hours by default); 422 when reversed or too long for the bucket."""
    for moment in (start, end):
        if moment is not None and not EARLIEST <= moment <= LATEST:
            raise _invalid_range(
                Message(
                    "Thời điểm nằm ngoài khoảng cho phép (1970–2200)",
                    "A moment is outside the accepted years (1970 to 2200)",
                )
            )
    end = end or (now if start is None else start + DEFAULT_RANGE)
    start = start or end - DEFAULT_RANGE
    if start >= end:
        raise _invalid_range(Message("from phải trước to", "from must be before to"))
    longest = MAX_RANGE[bucket]
    if end - start > longest:
        raise _invalid_range(
            Message(
                f"Khoảng thời gian quá dài cho bucket={bucket.value}: tối đa {longest.days} ngày",
                f"The range is too long for bucket={bucket.value}: at most {longest.days} days",
            )
        )
    return start, end


def create_router(*, session: SessionProvider, admin: DependsParam, staff: DependsParam) -> APIRouter:
    """The telemetry routes, given the application's request session and its ADMIN and STAFF policies."""
    router = APIRouter(tags=["devices"])

    async def visible_device(db: AsyncSession, principal: Principal, device_id: uuid.UUID) -> None:
        device = await registry.get_device(db, device_id)
        await ensure_can_see_unit(db, principal, registry.unit_of(device))

    @router.get(
        "/api/v1/devices/{device_id}/telemetry",
        response_model=TelemetryHistory,
        summary="A metric's history: raw readings or buckets",
        responses={**_AUTH, **_NOT_FOUND, **_RANGE},
    )
    async def device_telemetry(
        db: Annotated[AsyncSession, Depends(session)],
        principal: Annotated[Principal, staff],
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
        await visible_device(db, principal, device_id)
        now = utcnow()
        first, last = checked_range(start, end, bucket, now)
        return await history.metric_history(db, device_id, metric, bucket, first, last, now=now)

    @router.get(
        "/api/v1/devices/{device_id}/events",
        response_model=CameraEventPage,
        summary="A camera's events, newest first",
        responses={**_AUTH, **_NOT_FOUND, **_CURSOR},
    )
    async def device_events(
        db: Annotated[AsyncSession, Depends(session)],
        principal: Annotated[Principal, staff],
        device_id: DeviceId,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> CameraEventPage:
        await visible_device(db, principal, device_id)
        return await history.camera_events(db, device_id, cursor=cursor, limit=limit)

    @router.get(
        "/api/v1/ingest/dead-letters",
        response_model=DeadLetterPage,
        tags=["ingest"],
        summary="Messages the consumer set aside, newest first",
        responses={**_AUTH, **_CURSOR},
    )
    async def list_dead_letters(
        db: Annotated[AsyncSession, Depends(session)],
        _: Annotated[Principal, admin],
        reason: Annotated[list[DeadLetterReason] | None, Query(description="Repeatable.")] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> DeadLetterPage:
        reasons = [value.value for value in reason or ()]
        return await history.dead_letters(db, reasons, cursor=cursor, limit=limit)

    return router
