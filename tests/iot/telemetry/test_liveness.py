"""Online and offline: silence, the last will, a device speaking again, decommissioning; only changes are
written, each with one devices.online or devices.offline event."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from iot.registry import service as registry
from iot.telemetry.liveness import update_liveness
from iot.types import OFFLINE_AFTER_INTERVALS, REPORT_INTERVAL_SECONDS, DeviceType
from tests.iot.support import IN_WARD, WARD
from tests.iot.telemetry.support import add_device, events_of, set_state

pytestmark = pytest.mark.usefixtures("units")

AIR_SILENCE = timedelta(seconds=REPORT_INTERVAL_SECONDS[DeviceType.AIR_QUALITY] * OFFLINE_AFTER_INTERVALS)


async def _online(session: AsyncSession, device_id: uuid.UUID) -> tuple[bool, object]:
    row = (
        await session.execute(
            text("SELECT online, online_changed_at FROM device_state WHERE device_id = :d"), {"d": device_id}
        )
    ).one()
    return row.online, row.online_changed_at


async def test_a_device_that_speaks_goes_online_once(session: AsyncSession) -> None:
    device = await add_device(session)
    now = utcnow()
    await set_state(session, device.id, last_seen_at=now - timedelta(seconds=5))
    flips = await update_liveness(session, now)
    assert [(f.device_id, f.online, f.reason) for f in flips] == [(device.id, True, "message")]
    assert await _online(session, device.id) == (True, now)
    events = await events_of(session)
    assert events == [
        {
            "type": "devices.online",
            "unit_code": WARD,
            "subject_id": str(device.id),
            "location": {"lat": pytest.approx(IN_WARD[0]), "lon": pytest.approx(IN_WARD[1])},
            "data": {
                "device_id": str(device.id),
                "type": "air_quality",
                "name": device.name,
                "reason": "message",
            },
        }
    ]
    # Nothing changed: nothing written, no event.
    assert await update_liveness(session, now + timedelta(seconds=1)) == []
    assert len(await events_of(session)) == 1


async def test_silence_beyond_the_interval_is_offline(session: AsyncSession) -> None:
    device = await add_device(session)
    now = utcnow()
    await set_state(session, device.id, last_seen_at=now - AIR_SILENCE + timedelta(seconds=1), online=True)
    assert await update_liveness(session, now) == []
    later = now + timedelta(seconds=2)
    flips = await update_liveness(session, later)
    assert [(f.online, f.reason) for f in flips] == [(False, "silence")]
    assert await _online(session, device.id) == (False, later)
    assert [e["type"] for e in await events_of(session)] == ["devices.offline"]


async def test_the_metadata_interval_overrides_the_type(session: AsyncSession) -> None:
    slow = await add_device(session, metadata={"report_interval_seconds": 600})
    odd = await add_device(session, metadata={"report_interval_seconds": "often"})
    now = utcnow()
    for device in (slow, odd):
        await set_state(session, device.id, last_seen_at=now - AIR_SILENCE - timedelta(minutes=5))
    flips = await update_liveness(session, now)
    # 600 s x 3 covers the silence; a malformed value falls back to the type's interval.
    assert [(f.device_id, f.online) for f in flips] == [(slow.id, True)]


async def test_the_last_will_is_offline_until_the_device_speaks_again(session: AsyncSession) -> None:
    device = await add_device(session)
    now = utcnow()
    seen = now - timedelta(seconds=3)
    await set_state(
        session, device.id, last_seen_at=seen, reported_state="offline", reported_at=seen, online=True
    )
    flips = await update_liveness(session, now)
    assert [(f.online, f.reason) for f in flips] == [(False, "last_will")]
    assert (await events_of(session))[-1]["data"]["reason"] == "last_will"
    # Telemetry after the will: online again, although the last status message is still "offline".
    await set_state(
        session, device.id, last_seen_at=now, reported_state="offline", reported_at=seen, online=False
    )
    flips = await update_liveness(session, now + timedelta(seconds=1))
    assert [(f.online, f.reason) for f in flips] == [(True, "message")]


async def test_a_decommissioned_device_is_never_online(session: AsyncSession) -> None:
    device = await add_device(session)
    now = utcnow()
    await set_state(session, device.id, last_seen_at=now, online=True)
    await registry.decommission_device(session, device)
    flips = await update_liveness(session, now)
    assert [(f.online, f.reason) for f in flips] == [(False, "decommissioned")]
    assert await update_liveness(session, now + timedelta(seconds=1)) == []
    assert await _online(session, device.id) == (False, now)


async def test_a_device_without_a_ward_reports_to_its_province(session: AsyncSession) -> None:
    device = await add_device(session)
    await session.execute(text("UPDATE devices SET ward_code = NULL WHERE id = :d"), {"d": device.id})
    await set_state(session, device.id, last_seen_at=utcnow())
    await update_liveness(session, utcnow())
    assert [e["unit_code"] for e in await events_of(session)] == [device.province_code]
