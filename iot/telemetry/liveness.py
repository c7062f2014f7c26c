"""Online or offline: decided from what each device sent, flipped in one statement, told to the live channel.

A device is online when something arrived from it within its report interval (REPORT_INTERVAL_SECONDS of
its type, or `report_interval_seconds` in its metadata) times OFFLINE_AFTER_INTERVALS, unless the newest
thing that arrived is an `offline` on its status topic: its MQTT last will, published by the broker when
the connection dropped, or a clean goodbye. A decommissioned device is never online.

Only changes are written (online, online_changed_at), and each change becomes a devices.online or
devices.offline event in the same transaction, with the reason: last_will, silence, message (it spoke
again) or decommissioned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.events.outbox import emit, new_event
from iot.telemetry.repository import device_state
from mobile_contract.events import LatLon


@dataclass(frozen=True, slots=True)
class Flip:
    device_id: uuid.UUID
    online: bool
    reason: str


def _reason(online: bool, retired: bool, said_goodbye: bool) -> str:
    if online:
        return "message"
    if retired:
        return "decommissioned"
    return "last_will" if said_goodbye else "silence"


async def update_liveness(session: AsyncSession, now: datetime) -> list[Flip]:
    """Flip the devices whose state changed at `now` and emit their events, in the caller's transaction."""
    rows = await device_state.flip_online(session, now)
    flips: list[Flip] = []
    for row in rows:
        reason = _reason(row.online, row.retired, row.said_goodbye)
        event_type = "devices.online" if row.online else "devices.offline"
        await emit(
            session,
            new_event(
                event_type,
                unit_code=row.ward_code or row.province_code,
                subject_id=str(row.device_id),
                location=LatLon(lat=row.lat, lon=row.lon),
                occurred_at=now,
                data={"device_id": str(row.device_id), "type": row.type, "name": row.name, "reason": reason},
            ),
        )
        flips.append(Flip(device_id=row.device_id, online=row.online, reason=reason))
    return flips
