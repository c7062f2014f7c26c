"""The SQL of reading what devices sent: a metric's readings and buckets, a camera's events, the dead letters.

Every history query is a range scan of one device on the readings' primary key (device_id, ts, seq), so
its cost grows with the readings in the range, never with the table. Hourly buckets come from the rollup
for the hours it has closed, and from the raw readings for the hours it still recomputes (from `live` on),
so an answer is never older than the last reading stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import DateTime, Interval, String
from sqlalchemy.types import Uuid as UuidType

_TS = DateTime(timezone=True)

# Readings without the metric (devices may send metrics in turns) are skipped. Buckets are aligned on the
# epoch in UTC, whatever the session's time zone.

_RAW = text("""
SELECT ts, seq, (metrics -> :metric)::float8 AS value FROM device_readings
WHERE device_id = :device_id AND ts >= :start AND ts < :end AND jsonb_typeof(metrics -> :metric) = 'number'
ORDER BY ts, seq
LIMIT :limit
""").bindparams(
    bindparam("device_id", type_=UuidType),
    bindparam("start", type_=_TS),
    bindparam("end", type_=_TS),
    bindparam("metric", type_=String),
)

_BINNED = text("""
SELECT date_bin(:width, ts, timestamptz '1970-01-01 00:00:00+00') AS start,
       avg(v) AS avg, min(v) AS min, max(v) AS max, count(*) AS count
FROM (SELECT ts, (metrics -> :metric)::float8 AS v FROM device_readings
      WHERE device_id = :device_id AND ts >= :start AND ts < :end
        AND jsonb_typeof(metrics -> :metric) = 'number') AS r
GROUP BY 1 ORDER BY 1
""").bindparams(
    bindparam("device_id", type_=UuidType),
    bindparam("start", type_=_TS),
    bindparam("end", type_=_TS),
    bindparam("metric", type_=String),
    bindparam("width", type_=Interval),
)

# Closed hours from the rollup (its key: device_id, metric, hour), recent ones from the raw readings.
_HOURLY = text("""
SELECT hour AS start, sum / n AS avg, min, max, n AS count FROM device_readings_hourly
WHERE device_id = :device_id AND metric = :metric AND hour >= :start AND hour < LEAST(:end, :live)
UNION ALL
SELECT date_bin('1 hour', ts, timestamptz '1970-01-01 00:00:00+00'), avg(v), min(v), max(v), count(*)
FROM (SELECT ts, (metrics -> :metric)::float8 AS v FROM device_readings
      WHERE device_id = :device_id AND ts >= GREATEST(:start, :live) AND ts < :end
        AND jsonb_typeof(metrics -> :metric) = 'number') AS r
GROUP BY 1
ORDER BY 1
""").bindparams(
    bindparam("device_id", type_=UuidType),
    bindparam("start", type_=_TS),
    bindparam("end", type_=_TS),
    bindparam("live", type_=_TS),
    bindparam("metric", type_=String),
)


async def raw_readings(
    session: AsyncSession, device_id: uuid.UUID, metric: str, start: datetime, end: datetime, *, limit: int
) -> Sequence[Row[Any]]:
    """The metric's readings in [start, end), oldest first, at most `limit` (ts, seq, value)."""
    params = {"device_id": device_id, "metric": metric, "start": start, "end": end, "limit": limit}
    return (await session.execute(_RAW, params)).all()


async def binned(
    session: AsyncSession, device_id: uuid.UUID, metric: str, start: datetime, end: datetime, width: timedelta
) -> Sequence[Row[Any]]:
    """Buckets of `width` over [start, end) from the raw readings (start, avg, min, max, count)."""
    params = {"device_id": device_id, "metric": metric, "start": start, "end": end, "width": width}
    return (await session.execute(_BINNED, params)).all()


async def hourly(
    session: AsyncSession, device_id: uuid.UUID, metric: str, start: datetime, end: datetime, live: datetime
) -> Sequence[Row[Any]]:
    """Hours over [start, end): from the rollup before `live`, from the raw readings after it."""
    params = {"device_id": device_id, "metric": metric, "start": start, "end": end, "live": live}
    return (await session.execute(_HOURLY, params)).all()


_EVENTS = text("""
SELECT ts, seq, type, confidence, plate, bbox, attributes, snapshot_key, ST_X(location) AS lon,
       ST_Y(location) AS lat, ward_code, received_at
FROM device_camera_events
WHERE device_id = :device_id AND (CAST(:at AS timestamptz) IS NULL OR (ts, seq) < (:at, :seq))
ORDER BY ts DESC, seq DESC
LIMIT :limit
""").bindparams(bindparam("device_id", type_=UuidType), bindparam("at", type_=_TS))


async def camera_events(
    session: AsyncSession, device_id: uuid.UUID, after: tuple[datetime, int] | None, limit: int
) -> Sequence[Row[Any]]:
    """The device's camera events, newest first from after `after` (ts, seq): a backward scan of its key."""
    params = {
        "device_id": device_id,
        "at": None if after is None else after[0],
        "seq": 0 if after is None else after[1],
        "limit": limit,
    }
    return (await session.execute(_EVENTS, params)).all()


_DEAD_LETTERS = text("""
SELECT id, received_at, topic, device_ref, reason, detail, payload, payload_bytes
FROM ingest_dead_letters
WHERE (CAST(:reasons AS text[]) IS NULL OR reason = ANY(CAST(:reasons AS text[])))
  AND (CAST(:at AS timestamptz) IS NULL OR (received_at, id) < (:at, :id))
ORDER BY received_at DESC, id DESC
LIMIT :limit
""").bindparams(bindparam("at", type_=_TS))


async def dead_letters(
    session: AsyncSession, reasons: list[str], after: tuple[datetime, int] | None, limit: int
) -> Sequence[Row[Any]]:
    """Dead letters newest first from after `after` (received_at, id), the order of the table's index; of
    the given reasons, or all when none is given."""
    params = {
        "reasons": reasons or None,
        "at": None if after is None else after[0],
        "id": 0 if after is None else after[1],
        "limit": limit,
    }
    return (await session.execute(_DEAD_LETTERS, params)).all()
