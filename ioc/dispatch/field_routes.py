"""Field staff's side of dispatch (duty, position, offers waiting) and the officers' list of who is out."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from core.http.deps import SessionDep, SettingsDep
from core.http.policies import Officer
from core.http.responses import INVALID_CURSOR, UNAUTHENTICATED, problem, responses
from ioc.dispatch import field_status, views
from ioc.dispatch.policy import FieldStaff
from ioc.dispatch.schemas import FieldStaffPage, FieldStatusRead, FieldStatusUpdate, MyOffer

FIELD_STAFF_ONLY = responses(UNAUTHENTICATED, problem(403, "Field staff only (code forbidden)"))

router = APIRouter(tags=["dispatch"])


def _now() -> datetime:
    return datetime.now(UTC)


@router.get(
    "/api/v1/me/field-status",
    response_model=FieldStatusRead,
    summary="Your duty and the position kept for you",
    responses=FIELD_STAFF_ONLY,
)
async def my_field_status(db: SessionDep, settings: SettingsDep, principal: FieldStaff) -> FieldStatusRead:
    return await field_status.current(db, settings, principal, _now())


@router.put(
    "/api/v1/me/field-status",
    response_model=FieldStatusRead,
    summary="Report your duty and position (off duty, no position is kept)",
    responses=responses(
        FIELD_STAFF_ONLY,
        problem(
            422,
            "An impossible position (latitude or longitude out of range, not a number, a negative or "
            "huge accuracy, a recorded_at in the future: code validation_error) or one outside the "
            "province (code outside_province); nothing is changed",
        ),
    ),
)
async def report_field_status(
    db: SessionDep, settings: SettingsDep, principal: FieldStaff, body: FieldStatusUpdate
) -> FieldStatusRead:
    return await field_status.report(db, settings, principal, body, _now())


@router.get(
    "/api/v1/me/dispatch-offers",
    response_model=list[MyOffer],
    summary="The alarms offered to you and waiting for your answer, newest first",
    responses=FIELD_STAFF_ONLY,
)
async def my_offers(
    db: SessionDep, principal: FieldStaff, limit: Annotated[int, Query(ge=1, le=100)] = 50
) -> list[MyOffer]:
    return await views.my_open_offers(db, principal, limit=limit)


@router.get(
    "/api/v1/field-staff",
    response_model=FieldStaffPage,
    summary="Field staff on duty in your units, with their positions and whether they are available",
    responses=responses(
        UNAUTHENTICATED,
        INVALID_CURSOR,
        problem(403, "Officers and admins only (code forbidden), or a unit not yours (code outside_unit)"),
    ),
)
async def field_staff(
    db: SessionDep,
    settings: SettingsDep,
    principal: Officer,
    unit_code: Annotated[str | None, Query(pattern=r"^[0-9]{2}([0-9]{3})?$")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> FieldStaffPage:
    page = await field_status.on_duty(
        db, settings, principal, unit_code=unit_code, cursor=cursor, limit=limit, now=_now()
    )
    return FieldStaffPage(items=page.items, next_cursor=page.next_cursor)
