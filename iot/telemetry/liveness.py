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

import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import DateTime

from core.events.outbox import emit, new_event
from iot.types import OFFLINE_AFTER_INTERVALS, REPORT_INTERVAL_SECONDS, DeviceStatus
from mobile_contract.events import LatLon

_INTERVALS = json.dumps({kind.value: seconds for kind, seconds in REPORT_INTERVAL_SECONDS.items()})

# The status message and the last other message are told apart by arrival: the consumer stamps
# reported_at and last_seen_at with the same receive time, so "the offline came last" is
# reported_at >= last_seen_at.
_FLIP = text("""
WITH judged AS (
    SELECT s.device_id,
           d.status = :decommissioned AS retired,
           COALESCE(s.reported_state = 'offline' AND s.reported_at >= s.last_seen_at, false) AS said_goodbye,
           s.last_seen_at >= :now - make_interval(secs => :intervals * CASE
               WHEN jsonb_typeof(d.metadata -> 'report_interval_seconds') = 'number'
                    AND (d.metadata ->> 'report_interval_seconds')::float8 > 0
               THEN (d.metadata ->> 'report_interval_seconds')::float8
               ELSE COALESCE((CAST(:defaults AS jsonb) ->> d.type)::float8, 60) END) AS heard
    FROM device_state s JOIN devices d ON d.id = s.device_id
), decided AS (
    SELECT device_id, retired, said_goodbye,
           NOT retired AND NOT said_goodbye AND COALESCE(heard, false) AS online_now
    FROM judged
), locked AS (
    -- Rows the consumer is writing right now are skipped and judged again at the next tick: waiting for
    -- them (in another order than the consumer's) could deadlock with its batch.
    SELECT s.device_id FROM device_state s JOIN decided USING (device_id)
    WHERE s.online <> decided.online_now
    ORDER BY s.device_id
    FOR UPDATE OF s SKIP LOCKED
)
UPDATE device_state s
SET online = decided.online_now, online_changed_at = :now
FROM decided JOIN locked USING (device_id), devices d
WHERE s.device_id = decided.device_id AND d.id = s.device_id AND s.online <> decided.online_now
RETURNING s.device_id, s.online, decided.retired, decided.said_goodbye, d.type, d.name, d.ward_code,
          d.province_code, ST_X(d.location) AS lon, ST_Y(d.location) AS lat
""").bindparams(bindparam("now", type_=DateTime(timezone=True)))


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
    rows = (
        await session.execute(
            _FLIP,
            {
                "now": now,
                "decommissioned": DeviceStatus.DECOMMISSIONED.value,
                "intervals": OFFLINE_AFTER_INTERVALS,
                "defaults": _INTERVALS,
            },
        )
    ).all()
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
