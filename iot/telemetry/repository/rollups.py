"""The SQL of the hourly rollups: recompute hours from the raw readings, and the passes made over each hour
(iot.telemetry.rollups decides which hours are due).

The scan goes device by device over the readings' primary key (device_id, ts, seq): each device's range is
an index range scan, and the job never reads a whole day's partition to find three hours of it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import DateTime

_ROLLUP = text("""
-- Hours aligned on the epoch in UTC, whatever the session's time zone.
INSERT INTO device_readings_hourly AS h (device_id, metric, hour, n, sum, min, max)
SELECT d.id, m.key, date_bin('1 hour', r.ts, timestamptz '1970-01-01 00:00:00+00'), count(*),
       sum(m.value::float8), min(m.value::float8), max(m.value::float8)
FROM devices d
-- OFFSET 0 keeps the subquery a per-device index range scan rather than letting the planner flatten it
-- into a join over every reading of the partitions.
CROSS JOIN LATERAL (
    SELECT ts, metrics FROM device_readings
    WHERE device_id = d.id AND ts >= :start AND ts < :end OFFSET 0
) AS r
CROSS JOIN LATERAL jsonb_each(r.metrics) AS m(key, value)
WHERE jsonb_typeof(m.value) = 'number'
GROUP BY 1, 2, 3
ON CONFLICT (device_id, metric, hour) DO UPDATE
SET n = excluded.n, sum = excluded.sum, min = excluded.min, max = excluded.max
-- An hour that did not change is not rewritten (no dead row for every closed hour on every run).
WHERE (h.n, h.sum, h.min, h.max) IS DISTINCT FROM (excluded.n, excluded.sum, excluded.min, excluded.max)
""").bindparams(
    bindparam("start", type_=DateTime(timezone=True)), bindparam("end", type_=DateTime(timezone=True))
)


_PASSES = text(
    "SELECT hour, passes FROM device_rollup_hours WHERE hour >= :start AND hour < :end"
).bindparams(
    bindparam("start", type_=DateTime(timezone=True)), bindparam("end", type_=DateTime(timezone=True))
)
_RECORD_PASS = text("""
INSERT INTO device_rollup_hours (hour, passes, rolled_at) VALUES (:hour, :passes, now())
ON CONFLICT (hour) DO UPDATE SET passes = excluded.passes, rolled_at = excluded.rolled_at
""").bindparams(bindparam("hour", type_=DateTime(timezone=True)))


async def passes_made(connection: AsyncConnection, start: datetime, end: datetime) -> dict[datetime, int]:
    """The passes made over each hour in [start, end) that has had any."""
    rows = await connection.execute(_PASSES, {"start": start, "end": end})
    return {row.hour: row.passes for row in rows}


async def roll_up_hours(connection: AsyncConnection, start: datetime, end: datetime) -> int:
    """Recompute the rollup of [start, end) from the raw readings; the hourly rows written."""
    result = await connection.execute(_ROLLUP, {"start": start, "end": end})
    return int(result.rowcount or 0)


async def record_pass(connection: AsyncConnection, hour: datetime, passes: int) -> None:
    await connection.execute(_RECORD_PASS, {"hour": hour, "passes": passes})
