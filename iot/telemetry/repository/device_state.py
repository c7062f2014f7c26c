"""The SQL of each device's latest state as the device task uses it: online flips decided in one statement
(iot.telemetry.liveness), and the states changed since a moment (iot.telemetry.live_updates)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import DateTime

from iot.types import OFFLINE_AFTER_INTERVALS, REPORT_INTERVAL_SECONDS, DeviceStatus

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


async def flip_online(session: AsyncSession, now: datetime) -> Sequence[Row[Any]]:
    """Flip `online` of every device whose state changed at `now`; the flipped rows (device_id, online,
    retired, said_goodbye and the device's type, name, ward_code, province_code, lon, lat)."""
    params = {
        "now": now,
        "decommissioned": DeviceStatus.DECOMMISSIONED.value,
        "intervals": OFFLINE_AFTER_INTERVALS,
        "defaults": _INTERVALS,
    }
    return (await session.execute(_FLIP, params)).all()


_CHANGED = text("""
SELECT s.device_id, d.type, d.ward_code, d.province_code, ST_X(d.location) AS lon, ST_Y(d.location) AS lat,
       s.ts, s.seq, s.metrics, s.online, s.last_seen_at
FROM device_state s JOIN devices d ON d.id = s.device_id
WHERE s.updated_at >= :since OR s.online_changed_at >= :since
ORDER BY s.device_id
""").bindparams(bindparam("since", type_=DateTime(timezone=True)))


async def changed_since(session: AsyncSession, since: datetime) -> Sequence[Row[Any]]:
    """Every device whose state or online flag changed at or after `since`, by device id."""
    return (await session.execute(_CHANGED, {"since": since})).all()
