"""Registering, changing and listing devices: the registry's rules. Writes in the caller's transaction; never
commits.

Registering a device also creates its broker identity and answers its MQTT credentials, once; decommissioning
deletes that identity (the device is disconnected at once); admins may issue new credentials. Each writes the
database first (flushed, not committed), then the broker, then the request commits: a broker that does not
answer ends the request with 503 and nothing stored.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import WKTElement
from sqlalchemy.ext.asyncio import AsyncSession

from core.cursor import decode_cursor, keyset_page
from core.db import utcnow
from core.errors import Message, ProblemError
from core.identity.principal import Principal
from core.identity.scope import UnitScope, ensure_can_see_unit
from core.settings import Settings
from core.units.repository import locate
from iot.registry import credentials, repository
from iot.registry.broker_admin import BrokerAdmin
from iot.registry.models import Device
from iot.registry.schemas import (
    DeviceCreate,
    DeviceCreated,
    DeviceCredentials,
    DeviceFilter,
    DevicePage,
    DevicePatch,
    DevicePoint,
    DeviceRead,
    DeviceStateRead,
)
from iot.telemetry.models import LatestState
from iot.types import DeviceStatus

# The device list's one ordering (created_at, id), named in its cursors.
CURSOR_SORT = "devices"


def device_not_found(device_id: uuid.UUID) -> ProblemError:
    return ProblemError(
        404,
        "device_not_found",
        Message(f"Không tìm thấy thiết bị {device_id}", f"No device has the id {device_id}"),
    )


def _decommissioned(device: Device) -> ProblemError:
    return ProblemError(
        409,
        "device_decommissioned",
        Message(
            f"Thiết bị {device.id} đã ngừng sử dụng và không thể thay đổi",
            f"The device {device.id} is decommissioned and can no longer be changed",
        ),
    )


def unit_of(device: Device) -> str:
    """The unit that answers for the device: its ward, or its province when it lies in no ward."""
    return device.ward_code or device.province_code


async def _place(session: AsyncSession, point: DevicePoint) -> tuple[str | None, str]:
    found = await locate(session, point.lon, point.lat)
    if found is None:
        raise ProblemError(
            422,
            "outside_province",
            Message(
                "Vị trí thiết bị nằm ngoài địa bàn tỉnh", "The device's location is outside the province"
            ),
        )
    return (found.ward.code if found.ward else None), found.province.code


def _point(point: DevicePoint) -> WKTElement:
    return WKTElement(f"POINT({point.lon!r} {point.lat!r})", srid=4326)


def _state(state: LatestState | None) -> DeviceStateRead | None:
    if state is None:
        return None
    return DeviceStateRead(
        online=state.online,
        online_changed_at=state.online_changed_at,
        last_seen_at=state.last_seen_at,
        ts=state.ts,
        seq=state.seq,
        metrics=state.metrics,
        reported_state=state.reported_state,
        last_event_type=state.last_event_type,
        last_event_at=state.last_event_at,
    )


def _read(device: Device, lon: float, lat: float, state: LatestState | None = None) -> DeviceRead:
    return DeviceRead(
        id=device.id,
        type=device.type,
        name=device.name,
        location=DevicePoint(lat=lat, lon=lon),
        ward_code=device.ward_code,
        province_code=device.province_code,
        metadata=device.device_metadata,
        status=device.status,
        created_at=device.created_at,
        updated_at=device.updated_at,
        decommissioned_at=device.decommissioned_at,
        state=_state(state),
    )


def _read_row(row: Any) -> DeviceRead:
    # A row of repository.device_with_state: the device, lon, lat and its latest state.
    return _read(row[0], row.lon, row.lat, row[3])


async def get_device(session: AsyncSession, device_id: uuid.UUID, *, for_update: bool = False) -> Device:
    device = await repository.find_device(session, device_id, for_update=for_update)
    if device is None:
        raise device_not_found(device_id)
    return device


async def ensure_visible(session: AsyncSession, principal: Principal, device_id: uuid.UUID) -> None:
    """404 when there is no such device, 403 outside_unit when it is outside the principal's units."""
    device = await get_device(session, device_id)
    await ensure_can_see_unit(session, principal, unit_of(device))


async def read_device(session: AsyncSession, device_id: uuid.UUID) -> DeviceRead:
    row = await repository.device_with_state(session, device_id)
    if row is None:
        raise device_not_found(device_id)
    return _read_row(row)


async def create_device(session: AsyncSession, data: DeviceCreate, *, now: datetime | None = None) -> Device:
    ward_code, province_code = await _place(session, data.location)
    moment = now or utcnow()
    device = Device(
        type=data.type.value,
        name=data.name,
        location=_point(data.location),
        ward_code=ward_code,
        province_code=province_code,
        device_metadata=data.metadata,
        status=DeviceStatus.ACTIVE.value,
        created_at=moment,
        updated_at=moment,
    )
    session.add(device)
    await session.flush()
    return device


async def update_device(
    session: AsyncSession, device: Device, patch: DevicePatch, *, now: datetime | None = None
) -> Device:
    if device.status == DeviceStatus.DECOMMISSIONED:
        raise _decommissioned(device)
    changes: dict[str, Any] = {}
    if patch.location is not None:
        changes["ward_code"], changes["province_code"] = await _place(session, patch.location)
        changes["location"] = _point(patch.location)
    if patch.name is not None:
        changes["name"] = patch.name
    if patch.metadata is not None:
        changes["device_metadata"] = patch.metadata
    if patch.status is not None:
        changes["status"] = patch.status
    for name, value in changes.items():
        setattr(device, name, value)
    device.updated_at = now or utcnow()
    await session.flush()
    return device


async def decommission_device(
    session: AsyncSession, device: Device, *, now: datetime | None = None
) -> Device:
    if device.status == DeviceStatus.DECOMMISSIONED:
        raise _decommissioned(device)
    moment = now or utcnow()
    device.status = DeviceStatus.DECOMMISSIONED.value
    device.decommissioned_at = moment
    device.updated_at = moment
    await session.flush()
    return device


async def list_devices(
    session: AsyncSession, scope: UnitScope, filters: DeviceFilter, *, cursor: str | None, limit: int
) -> DevicePage:
    """Newest first, `limit` at a time, keyset on (created_at, id) so inserts never shift a page."""
    position = decode_cursor(CURSOR_SORT, cursor)
    rows = await repository.page_of_devices(session, scope, filters, position, limit)
    page = keyset_page(
        rows,
        limit,
        sort=CURSOR_SORT,
        position=lambda row: (row[0].created_at, row[0].id),
        item=_read_row,
    )
    return DevicePage(items=page.items, next_cursor=page.next_cursor)


async def register_device(
    session: AsyncSession, broker: BrokerAdmin, settings: Settings, data: DeviceCreate
) -> DeviceCreated:
    """The device flushed, then its broker identity made: the caller commits once this returns."""
    device = await create_device(session, data)
    mqtt = await credentials.issue(broker, settings, device.id)
    read = await read_device(session, device.id)
    return DeviceCreated(**read.model_dump(), mqtt=mqtt)


async def change_device(session: AsyncSession, device_id: uuid.UUID, patch: DevicePatch) -> DeviceRead:
    device = await get_device(session, device_id, for_update=True)
    await update_device(session, device, patch)
    return await read_device(session, device_id)


async def retire_device(session: AsyncSession, broker: BrokerAdmin, device_id: uuid.UUID) -> DeviceRead:
    """Decommissioned (flushed), then its broker identity deleted: the caller commits once this returns."""
    device = await get_device(session, device_id, for_update=True)
    await decommission_device(session, device)
    await credentials.revoke(broker, device_id)
    return await read_device(session, device_id)


async def renew_credentials(
    session: AsyncSession, broker: BrokerAdmin, settings: Settings, device_id: uuid.UUID
) -> DeviceCredentials:
    # Locked, so a decommission running at the same time cannot leave a live identity behind.
    device = await get_device(session, device_id, for_update=True)
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
