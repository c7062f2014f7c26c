"""Helpers of the device registry tests."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from iot.registry.models import Device
from tests.feedback.support import IN_OTHER_WARD, IN_WARD, OTHER_WARD, OUTSIDE, WARD

__all__ = ["IN_OTHER_WARD", "IN_WARD", "OTHER_WARD", "OUTSIDE", "WARD", "body", "count_devices", "point"]


def point(lat_lon: tuple[float, float]) -> dict[str, float]:
    return {"lat": lat_lon[0], "lon": lat_lon[1]}


def body(**fields: Any) -> dict[str, Any]:
    """A valid registration, with `fields` replacing its defaults."""
    return {
        "type": "air_quality",
        "name": "Trạm quan trắc Vị Xuyên",
        "location": point(IN_WARD),
        "metadata": {"model": "AQ-200"},
        **fields,
    }


async def count_devices(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(Device))).scalar_one())
