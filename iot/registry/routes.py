"""The device registry routes: admins register and change devices, staff read those in their units.

The rules, and the order of database and broker writes, are in iot.registry.service; the broker admin is the
process's one connection, which the application keeps on `app.state.broker_admin`.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from core.bbox import parse_bbox
from core.http.deps import SessionDep, SettingsDep
from core.http.policies import Admin, Staff
from core.http.responses import INVALID_CURSOR, UNAUTHENTICATED, problem, responses
from core.identity.scope import unit_scope
from iot.registry import service
from iot.registry.broker_admin import BrokerAdmin
from iot.registry.schemas import (
    DeviceCreate,
    DeviceCreated,
    DeviceCredentials,
    DeviceFilter,
    DevicePage,
    DevicePatch,
    DeviceRead,
)
from iot.types import DeviceStatus, DeviceType


async def get_broker(request: Request) -> BrokerAdmin:
    """The process's broker admin connection, made by the application at start."""
    broker: BrokerAdmin = request.app.state.broker_admin
    return broker


BrokerDep = Annotated[BrokerAdmin, Depends(get_broker)]

DeviceId = Annotated[uuid.UUID, Path(description="The device's id.")]

NOT_FOUND = problem(404, "No such device (code device_not_found)")
# Every route needs a signed-in user with the right role; reading one device also checks its unit.
FORBIDDEN = problem(
    403, "Your role may not do this (code forbidden), or the device is outside your units (code outside_unit)"
)
_PLACE = problem(422, "Invalid input, or the location is outside the province (code outside_province)")
_GONE = problem(409, "The device is decommissioned and cannot change (code device_decommissioned)")
_BROKER = problem(503, "The MQTT broker did not answer; nothing was changed (code broker_unavailable)")

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


@router.post(
    "",
    status_code=201,
    response_model=DeviceCreated,
    summary="Register a device and receive its MQTT credentials (shown only this once)",
    responses=responses(UNAUTHENTICATED, FORBIDDEN, _PLACE, _BROKER),
)
async def create_device(
    db: SessionDep, _: Admin, body: DeviceCreate, broker: BrokerDep, settings: SettingsDep
) -> DeviceCreated:
    return await service.register_device(db, broker, settings, body)


@router.get(
    "",
    response_model=DevicePage,
    summary="Devices in your units, newest first",
    responses=responses(UNAUTHENTICATED, FORBIDDEN, INVALID_CURSOR),
)
async def list_devices(
    db: SessionDep,
    principal: Staff,
    bbox: Annotated[
        str | None,
        Query(description="min_lon,min_lat,max_lon,max_lat", examples=["106.1,20.4,106.2,20.5"]),
    ] = None,
    device_type: Annotated[list[DeviceType] | None, Query(alias="type", description="Repeatable.")] = None,
    status: Annotated[list[DeviceStatus] | None, Query(description="Repeatable.")] = None,
    ward_code: Annotated[str | None, Query(pattern=r"^[0-9]{5}$")] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DevicePage:
    filters = DeviceFilter(
        bbox=parse_bbox(bbox) if bbox is not None else None,
        types=tuple(value.value for value in device_type or ()),
        statuses=tuple(value.value for value in status or ()),
        ward_code=ward_code,
    )
    scope = await unit_scope(db, principal)
    return await service.list_devices(db, scope, filters, cursor=cursor, limit=limit)


@router.get(
    "/{device_id}",
    response_model=DeviceRead,
    summary="One device",
    responses=responses(UNAUTHENTICATED, FORBIDDEN, NOT_FOUND),
)
async def get_device(db: SessionDep, principal: Staff, device_id: DeviceId) -> DeviceRead:
    await service.ensure_visible(db, principal, device_id)
    return await service.read_device(db, device_id)


@router.patch(
    "/{device_id}",
    response_model=DeviceRead,
    summary="Change a device",
    responses=responses(UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, _GONE, _PLACE),
)
async def update_device(db: SessionDep, _: Admin, device_id: DeviceId, body: DevicePatch) -> DeviceRead:
    return await service.change_device(db, device_id, body)


@router.post(
    "/{device_id}/decommission",
    response_model=DeviceRead,
    summary="Take a device out of service",
    responses=responses(UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, _GONE),
)
async def decommission_device(db: SessionDep, _: Admin, device_id: DeviceId, broker: BrokerDep) -> DeviceRead:
    return await service.retire_device(db, broker, device_id)


@router.post(
    "/{device_id}/credentials",
    response_model=DeviceCredentials,
    summary="Issue new MQTT credentials (the old password stops working at once)",
    responses=responses(UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, _GONE, _BROKER),
)
async def renew_credentials(
    db: SessionDep, _: Admin, device_id: DeviceId, broker: BrokerDep, settings: SettingsDep
) -> DeviceCredentials:
    return await service.renew_credentials(db, broker, settings, device_id)
