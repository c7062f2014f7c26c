"""Hourly rollups of device readings: count, sum, min and max per device, metric and hour.

Each closed hour is rolled up twice, never more: once as soon as it closes, and a final time once it leaves
the window the history API reads raw (the current hour and the RECOMPUTED_CLOSED_HOURS before it), so a late
reading (a device that buffered while offline, a consumer catching up) is absorbed by the final pass. Every
pass recomputes the whole hour from the raw readings and overwrites it, so a repeated pass changes nothing.
Recomputing the recent hours on every run instead would cost, at thousands of readings a second, more than
the ingestion itself. The passes made are kept in device_rollup_hours; after an outage the job catches up
on at most CATCH_UP_HOURS.

The scan goes device by device over the readings' primary key (device_id, ts, seq): each device's range is
an index range scan, and the job never reads a whole day's partition to find three hours of it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import DateTime

RECOMPUTED_CLOSED_HOURS = 2
CATCH_UP_HOURS = 24
HOUR = timedelta(hours=1)
FINAL_PASS = 2


def hour_start(moment: datetime) -> datetime:
    moment = moment.astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def live_window_start(now: datetime) -> datetime:
    """The first hour the rollup still recomputes: readings from here on are read raw by the history."""
    return hour_start(now) - RECOMPUTED_CLOSED_HOURS * HOUR


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


def due_hours(now: datetime, passes: dict[datetime, int]) -> list[tuple[datetime, int]]:
    """The closed hours to roll up at `now`, each with the pass it will have made."""
    current = hour_start(now)
    live = live_window_start(now)
    due: list[tuple[datetime, int]] = []
    for back in range(CATCH_UP_HOURS, 0, -1):
        hour = current - back * HOUR
        made = passes.get(hour, 0)
        if hour < live and made < FINAL_PASS:
            due.append((hour, FINAL_PASS))
        elif made == 0:
            due.append((hour, 1))
    return due


async def roll_up(connection: AsyncConnection, now: datetime) -> int:
    """Roll up the closed hours due at `now`, in the caller's transaction; the hourly rows written."""
    current = hour_start(now)
    rows = await connection.execute(_PASSES, {"start": current - CATCH_UP_HOURS * HOUR, "end": current})
    made = {row.hour: row.passes for row in rows}
    written = 0
    for hour, passes in due_hours(now, made):
        result = await connection.execute(_ROLLUP, {"start": hour, "end": hour + HOUR})
        written += int(result.rowcount or 0)
        await connection.execute(_RECORD_PASS, {"hour": hour, "passes": passes})
    return written
