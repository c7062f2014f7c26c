"""The device figures: devices in service online and offline now by type, from device_state; and, from the
moment of each device's latest change of state (all iot keeps of the past), those offline now that went
offline in the period, also as a time series.

A device belongs to its ward, or to its province when it lies in no ward, as alarms and the registry say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ioc.kpis.period import Interval, Period
from ioc.kpis.repository.buckets import Measure, SeriesRows, bucket_of, in_period, read_series
from iot.registry.models import Device
from iot.telemetry.models import LatestState
from iot.types import DeviceStatus


@dataclass(frozen=True, slots=True)
class DeviceCounts:
    type: str
    online: int
    offline: int
    went_offline: int


def _where(units: Sequence[str] | None) -> list[Any]:
    where: list[Any] = [col(Device.status) != DeviceStatus.DECOMMISSIONED.value]
    if units is not None:
        codes = list(units)
        ward = col(Device.ward_code)
        where.append(or_(ward.in_(codes), and_(ward.is_(None), col(Device.province_code).in_(codes))))
    return where


def _offline() -> Any:
    # A device with no state row was never heard from: offline.
    return func.coalesce(col(LatestState.online), false()).is_(False)


def _with_state() -> Any:
    return select().select_from(Device).outerjoin(LatestState, col(LatestState.device_id) == col(Device.id))


async def device_counts(
    session: AsyncSession, units: Sequence[str] | None, period: Period
) -> list[DeviceCounts]:
    """One row per type with devices, by type."""
    went_offline = and_(_offline(), *in_period(col(LatestState.online_changed_at), period))
    statement = (
        _with_state()
        .add_columns(
            col(Device.type),
            func.count().filter(col(LatestState.online).is_(True)),
            func.count().filter(_offline()),
            func.count().filter(went_offline),
        )
        .where(*_where(units))
        .group_by(col(Device.type))
        .order_by(col(Device.type))
    )
    return [
        DeviceCounts(str(row[0]), int(row[1]), int(row[2]), int(row[3]))
        for row in (await session.execute(statement)).all()
    ]


async def device_series(
    session: AsyncSession, units: Sequence[str] | None, period: Period, interval: Interval
) -> list[SeriesRows]:
    changed = col(LatestState.online_changed_at)
    bucket = bucket_of(interval, changed).label("bucket")
    went = (
        _with_state()
        .add_columns(bucket, func.count().label("went_offline"))
        .where(*_where(units), _offline(), *in_period(changed, period))
        .group_by(bucket)
        .subquery("went")
    )
    return await read_series(session, interval, period, [(went, [Measure("went_offline", "went_offline")])])
