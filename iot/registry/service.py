"""Registering, changing and listing devices. Writes in the caller's transaction; never commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from geoalchemy2 import WKTElement
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.cursor import decode_cursor, encode_cursor
from core.db import utcnow
from core.errors import Message, ProblemError
from core.identity.scope import UnitScope
from core.units.repository import locate
from iot.models import Device
from iot.schemas import DeviceCreate, DevicePage, DevicePatch, DevicePoint, DeviceRead, DeviceStateRead
from iot.telemetry_models import LatestState
from iot.types import DeviceStatus

_LON = func.ST_X(col(Device.location)).label("lon")
_LAT = func.ST_Y(col(Device.location)).label("lat")

# The device list's one ordering (created_at, id), named in its cursors.
CURSOR_SORT = "devices"


@dataclass(frozen=True, slots=True)
class BBox:
    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


@dataclass(frozen=True, slots=True)
class DeviceFilter:
    bbox: BBox | None = None
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    ward_code: str | None = None


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


def scope_allows(scope: UnitScope, device: Device) -> bool:
    return scope.allows(device.ward_code) or scope.allows(device.province_code)


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


def _with_state(query: Select[Any]) -> Select[Any]:
    # The latest state in the same query (a device has at most one row), so a list stays one query.
    return query.add_columns(LatestState).outerjoin(LatestState, col(LatestState.device_id) == col(Device.id))


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


async def get_device(session: AsyncSession, device_id: uuid.UUID, *, for_update: bool = False) -> Device:
    query = select(Device).where(col(Device.id) == device_id)
    if for_update:
        query = query.with_for_update()
    device = (await session.execute(query)).scalar_one_or_none()
    if device is None:
        raise device_not_found(device_id)
    return device


async def read_device(session: AsyncSession, device_id: uuid.UUID) -> DeviceRead:
    row = (
        await session.execute(_with_state(select(Device, _LON, _LAT)).where(col(Device.id) == device_id))
    ).one_or_none()
    if row is None:
        raise device_not_found(device_id)
    return _read(row[0], row.lon, row.lat, row[3])


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
    query = _with_state(select(Device, _LON, _LAT))
    if not scope.all_units:
        codes = sorted(scope.codes)
        query = query.where(or_(col(Device.ward_code).in_(codes), col(Device.province_code).in_(codes)))
    if filters.bbox is not None:
        box = filters.bbox
        envelope = func.ST_MakeEnvelope(box.min_lon, box.min_lat, box.max_lon, box.max_lat, 4326)
        query = query.where(func.ST_Intersects(col(Device.location), envelope))
    if filters.types:
        query = query.where(col(Device.type).in_(filters.types))
    if filters.statuses:
        query = query.where(col(Device.status).in_(filters.statuses))
    if filters.ward_code is not None:
        query = query.where(col(Device.ward_code) == filters.ward_code)
    if position is not None:
        query = query.where(
            or_(
                col(Device.created_at) < position.at,
                and_(col(Device.created_at) == position.at, col(Device.id) < position.id),
            )
        )
    query = query.order_by(col(Device.created_at).desc(), col(Device.id).desc()).limit(limit + 1)
    rows = (await session.execute(query)).all()
    items = [_read(row[0], row.lon, row.lat, row[3]) for row in rows[:limit]]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1][0]
        next_cursor = encode_cursor(CURSOR_SORT, last.created_at, last.id)
    return DevicePage(items=items, next_cursor=next_cursor)
