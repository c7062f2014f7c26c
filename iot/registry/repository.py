"""The device registry's SQL: one device (locked or not), one device with its point and latest state, and the
list's page. Writes go through the session's unit of work (iot.registry.service); nothing here commits."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from core.cursor import Cursor, fetch_limit
from core.identity.scope import UnitScope
from iot.registry.models import Device
from iot.registry.schemas import DeviceFilter
from iot.telemetry.models import LatestState

_LON = func.ST_X(col(Device.location)).label("lon")
_LAT = func.ST_Y(col(Device.location)).label("lat")


def _with_state(query: Select[Any]) -> Select[Any]:
    # The latest state in the same query (a device has at most one row), so a list stays one query.
    return query.add_columns(LatestState).outerjoin(LatestState, col(LatestState.device_id) == col(Device.id))


async def find_device(
    session: AsyncSession, device_id: uuid.UUID, *, for_update: bool = False
) -> Device | None:
    query = select(Device).where(col(Device.id) == device_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def device_with_state(session: AsyncSession, device_id: uuid.UUID) -> Row[Any] | None:
    """The device, its lon and lat, and its latest state (None until anything arrived)."""
    query = _with_state(select(Device, _LON, _LAT)).where(col(Device.id) == device_id)
    row: Row[Any] | None = (await session.execute(query)).one_or_none()
    return row


async def page_of_devices(
    session: AsyncSession, scope: UnitScope, filters: DeviceFilter, position: Cursor | None, limit: int
) -> Sequence[Row[Any]]:
    """Rows as device_with_state's, newest first from after `position`, keyset on (created_at, id);
    fetch_limit(limit) of them."""
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
    query = query.order_by(col(Device.created_at).desc(), col(Device.id).desc()).limit(fetch_limit(limit))
    rows: Sequence[Row[Any]] = (await session.execute(query)).all()
    return rows
