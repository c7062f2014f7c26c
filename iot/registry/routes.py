"""The device registry routes: admins register and change devices, staff read those in their units.

Registering a device also creates its broker identity and answers its MQTT credentials, once; decommissioning
deletes that identity (the device is disconnected at once); admins may issue new credentials. Each writes the
database first (flushed, not committed), then the broker, then the request commits: a broker that does not
answer ends the request with 503 and nothing stored.

Not `from __future__ import annotations`: the route signatures refer to the session dependency and policies
given to create_router, and FastAPI must see those annotations as objects. The application (api/) owns
sessions and policies, and this package may not import it, so it hands them in.
"""

import math
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.params import Depends as DependsParam
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.identity.principal import Principal
from core.identity.scope import ensure_can_see_unit, unit_scope
from core.settings import Settings
from iot import credentials, registry
from iot.broker_admin import BrokerAdmin
from iot.credential_schemas import DeviceCreated, DeviceCredentials
from iot.schemas import DeviceCreate, DevicePage, DevicePatch, DeviceRead
from iot.types import DeviceStatus, DeviceType

SessionProvider = Callable[..., AsyncIterator[AsyncSession]]

DeviceId = Annotated[uuid.UUID, Path(description="The device's id.")]

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such device (code device_not_found)"}}
# Every route needs a signed-in user with the right role; reading one device also checks its unit.
_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "No valid access token (code unauthenticated, invalid_token or token_expired)"},
    403: {
        "description": "Your role may not do this (code forbidden), or the device is outside your units "
        "(code outside_unit)"
    },
}
_PLACE: dict[int | str, dict[str, Any]] = {
    422: {"description": "Invalid input, or the location is outside the province (code outside_province)"},
}
_GONE: dict[int | str, dict[str, Any]] = {
    409: {"description": "The device is decommissioned and cannot change (code device_decommissioned)"},
}
_BROKER: dict[int | str, dict[str, Any]] = {
    503: {"description": "The MQTT broker did not answer; nothing was changed (code broker_unavailable)"},
}
_CURSOR: dict[int | str, dict[str, Any]] = {
    400: {"description": "The cursor was not made by this list (code invalid_cursor)"},
}


def _invalid_query(name: str, message: Message) -> ProblemError:
    return ProblemError(
        422,
        "validation_error",
        message,
        extensions={
            "errors": [
                {
                    "location": ["query", name],
                    "pointer": "",
                    "type": "value_error",
                    "message": message.en,
                }
            ]
        },
    )


def parse_bbox(text: str) -> registry.BBox:
    """The box of `bbox=min_lon,min_lat,max_lon,max_lat`; 422 when malformed."""
    bad = _invalid_query(
        "bbox",
        Message(
            "bbox phải là min_lon,min_lat,max_lon,max_lat với min nhỏ hơn max",
            "bbox must be min_lon,min_lat,max_lon,max_lat with each min below its max",
        ),
    )
    try:
        min_lon, min_lat, max_lon, max_lat = (float(part) for part in text.split(","))
    except ValueError as error:
        raise bad from error
    if not all(math.isfinite(v) for v in (min_lon, min_lat, max_lon, max_lat)):
        raise bad
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise bad
    return registry.BBox(min_lon, min_lat, max_lon, max_lat)


def create_router(
    *,
    session: SessionProvider,
    admin: DependsParam,
    staff: DependsParam,
    broker: BrokerAdmin,
    settings: Settings,
) -> APIRouter:
    """The registry routes, given the application's request session, its ADMIN and STAFF policies, the
    process's broker admin connection and the settings (the broker address handed to devices)."""
    router = APIRouter(prefix="/api/v1/devices", tags=["devices"])

    @router.post(
        "",
        status_code=201,
        response_model=DeviceCreated,
        summary="Register a device and receive its MQTT credentials (shown only this once)",
        responses={**_AUTH, **_PLACE, **_BROKER},
    )
    async def create_device(
        db: Annotated[AsyncSession, Depends(session)],
        _: Annotated[Principal, admin],
        body: DeviceCreate,
    ) -> DeviceCreated:
        device = await registry.create_device(db, body)
        mqtt = await credentials.issue(broker, settings, device.id)
        read = await registry.read_device(db, device.id)
        return DeviceCreated(**read.model_dump(), mqtt=mqtt)

    @router.get(
        "",
        response_model=DevicePage,
        summary="Devices in your units, newest first",
        responses={**_AUTH, **_CURSOR},
    )
    async def list_devices(
        db: Annotated[AsyncSession, Depends(session)],
        principal: Annotated[Principal, staff],
        bbox: Annotated[
            str | None,
            Query(description="min_lon,min_lat,max_lon,max_lat", examples=["106.1,20.4,106.2,20.5"]),
        ] = None,
        device_type: Annotated[
            list[DeviceType] | None, Query(alias="type", description="Repeatable.")
        ] = None,
        status: Annotated[list[DeviceStatus] | None, Query(description="Repeatable.")] = None,
        ward_code: Annotated[str | None, Query(pattern=r"^[0-9]{5}$")] = None,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> DevicePage:
        filters = registry.DeviceFilter(
            bbox=parse_bbox(bbox) if bbox is not None else None,
            types=tuple(value.value for value in device_type or ()),
            statuses=tuple(value.value for value in status or ()),
            ward_code=ward_code,
        )
        scope = await unit_scope(db, principal)
        return await registry.list_devices(db, scope, filters, cursor=cursor, limit=limit)

    @router.get(
        "/{device_id}", response_model=DeviceRead, summary="One device", responses={**_AUTH, **_NOT_FOUND}
    )
    async def get_device(
        db: Annotated[AsyncSession, Depends(session)],
        principal: Annotated[Principal, staff],
        device_id: DeviceId,
    ) -> DeviceRead:
        device = await registry.get_device(db, device_id)
        await ensure_can_see_unit(db, principal, registry.unit_of(device))
        return await registry.read_device(db, device_id)

    @router.patch(
        "/{device_id}",
        response_model=DeviceRead,
        summary="Change a device",
        responses={**_AUTH, **_NOT_FOUND, **_GONE, **_PLACE},
    )
    async def update_device(
        db: Annotated[AsyncSession, Depends(session)],
        _: Annotated[Principal, admin],
        device_id: DeviceId,
        body: DevicePatch,
    ) -> DeviceRead:
        device = await registry.get_device(db, device_id, for_update=True)
        await registry.update_device(db, device, body)
        return await registry.read_device(db, device_id)

    @router.post(
        "/{device_id}/decommission",
        response_model=DeviceRead,
        summary="Take a device out of service",
        responses={**_AUTH, **_NOT_FOUND, **_GONE},
    )
    async def decommission_device(
        db: Annotated[AsyncSession, Depends(session)],
        _: Annotated[Principal, admin],
        device_id: DeviceId,
    ) -> DeviceRead:
        device = await registry.get_device(db, device_id, for_update=True)
        await registry.decommission_device(db, device)
        await credentials.revoke(broker, device_id)
        return await registry.read_device(db, device_id)

    @router.post(
        "/{device_id}/credentials",
        response_model=DeviceCredentials,
        summary="Issue new MQTT credentials (the old password stops working at once)",
        responses={**_AUTH, **_NOT_FOUND, **_GONE, **_BROKER},
    )
    async def renew_credentials(
        db: Annotated[AsyncSession, Depends(session)],
        _: Annotated[Principal, admin],
        device_id: DeviceId,
    ) -> DeviceCredentials:
        # Locked, so a decommission running at the same time cannot leave a live identity behind.
        device = await registry.get_device(db, device_id, for_update=True)
        if device.status == DeviceStatus.DECOMMISSIONED:
            raise ProblemError(
                409,
                "device_decommissioned",
                Message(
                    f"Thiết bị {device_id} đã ngừng sử dụng, không thể cấp thông tin đăng nhập mới",
                    f"The device {device_id} is decommissioned; no new credentials can be issued",
                ),
            )
        return DeviceCredentials(mqtt=await credentials.issue(broker, settings, device_id))

    return router
