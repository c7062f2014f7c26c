"""Reading what devices sent: a metric's history, a camera's events, the dead letters. All SQL, no HTTP.

Every history query is a range scan of one device on the readings' primary key (device_id, ts, seq), so
its cost grows with the readings in the range, never with the table. Hourly buckets come from the rollup
for the hours it has closed, and from the raw readings for the hours it still recomputes (the current one
and the two before it), so an answer is never older than the last reading stored.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import DateTime, Interval, String
from sqlalchemy.types import Uuid as UuidType

from core.cursor import Cursor, decode_cursor, encode_cursor, invalid_cursor
from iot.rollups import live_window_start
from iot.schemas import DevicePoint
from iot.telemetry_schemas import (
    BUCKET_WIDTH,
    RAW_MAX_POINTS,
    Bucket,
    BucketStats,
    CameraEventPage,
    CameraEventRead,
    DeadLetterPage,
    DeadLetterRead,
    RawPoint,
    TelemetryHistory,
)

_TS = DateTime(timezone=True)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EVENTS_SORT = "device_events"
DEAD_LETTERS_SORT = "dead_letters"

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


def align_down(moment: datetime, width: timedelta) -> datetime:
    return _EPOCH + ((moment - _EPOCH) // width) * width


def align_up(moment: datetime, width: timedelta) -> datetime:
    down = align_down(moment, width)
    return down if down == moment else down + width


async def metric_history(
    session: AsyncSession,
    device_id: uuid.UUID,
    metric: str,
    bucket: Bucket,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
) -> TelemetryHistory:
    """The metric over [start, end); the range was checked by the caller."""
    points: list[RawPoint] = []
    buckets: list[BucketStats] = []
    truncated = False
    params: dict[str, object] = {"device_id": device_id, "metric": metric}
    if bucket is Bucket.RAW:
        rows = (
            await session.execute(_RAW, {**params, "start": start, "end": end, "limit": RAW_MAX_POINTS + 1})
        ).all()
        truncated = len(rows) > RAW_MAX_POINTS
        points = [RawPoint(ts=row.ts, seq=row.seq, value=row.value) for row in rows[:RAW_MAX_POINTS]]
    else:
        width = BUCKET_WIDTH[bucket]
        start, end = align_down(start, width), align_up(end, width)
        params.update(start=start, end=end)
        if bucket is Bucket.HOUR:
            rows = (await session.execute(_HOURLY, {**params, "live": live_window_start(now)})).all()
        else:
            rows = (await session.execute(_BINNED, {**params, "width": width})).all()
        buckets = [
            BucketStats(start=row.start, avg=row.avg, min=row.min, max=row.max, count=row.count)
            for row in rows
        ]
    return TelemetryHistory(
        device_id=device_id,
        metric=metric,
        bucket=bucket,
        from_=start,
        to=end,
        points=points,
        buckets=buckets,
        truncated=truncated,
    )


def _seq_key(value: int) -> uuid.UUID:
    # The shared cursor carries a UUID tie-breaker; a non-negative bigint fits in one exactly.
    return uuid.UUID(int=value)


def _decode(sort: str, cursor: str | None) -> Cursor | None:
    position = decode_cursor(sort, cursor)
    if position is not None and position.id.int >= 2**63:
        raise invalid_cursor()
    return position


_EVENTS = text("""
SELECT ts, seq, type, confidence, plate, bbox, attributes, snapshot_key, ST_X(location) AS lon,
       ST_Y(location) AS lat, ward_code, received_at
FROM device_camera_events
WHERE device_id = :device_id AND (CAST(:at AS timestamptz) IS NULL OR (ts, seq) < (:at, :seq))
ORDER BY ts DESC, seq DESC
LIMIT :limit
""").bindparams(bindparam("device_id", type_=UuidType), bindparam("at", type_=_TS))


async def camera_events(
    session: AsyncSession, device_id: uuid.UUID, *, cursor: str | None, limit: int
) -> CameraEventPage:
    """The device's camera events, newest first, keyset on (ts, seq): a backward scan of its key."""
    position = _decode(EVENTS_SORT, cursor)
    rows = (
        await session.execute(
            _EVENTS,
            {
                "device_id": device_id,
                "at": None if position is None else position.at,
                "seq": 0 if position is None else position.id.int,
                "limit": limit + 1,
            },
        )
    ).all()
    items = [
        CameraEventRead(
            ts=row.ts,
            seq=row.seq,
            type=row.type,
            confidence=row.confidence,
            plate=row.plate,
            bbox=row.bbox,
            attributes=row.attributes,
            snapshot_key=row.snapshot_key,
            location=DevicePoint(lat=row.lat, lon=row.lon),
            ward_code=row.ward_code,
            received_at=row.received_at,
        )
        for row in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(EVENTS_SORT, last.ts, _seq_key(last.seq))
    return CameraEventPage(items=items, next_cursor=next_cursor)


_DEAD_LETTERS = text("""
SELECT id, received_at, topic, device_ref, reason, detail, payload, payload_bytes
FROM ingest_dead_letters
WHERE (CAST(:reasons AS text[]) IS NULL OR reason = ANY(CAST(:reasons AS text[])))
  AND (CAST(:at AS timestamptz) IS NULL OR (received_at, id) < (:at, :id))
ORDER BY received_at DESC, id DESC
LIMIT :limit
""").bindparams(bindparam("at", type_=_TS))


async def dead_letters(
    session: AsyncSession, reasons: list[str], *, cursor: str | None, limit: int
) -> DeadLetterPage:
    """Newest first, keyset on (received_at, id), the order of the table's index."""
    position = _decode(DEAD_LETTERS_SORT, cursor)
    rows = (
        await session.execute(
            _DEAD_LETTERS,
            {
                "reasons": reasons or None,
                "at": None if position is None else position.at,
                "id": 0 if position is None else position.id.int,
                "limit": limit + 1,
            },
        )
    ).all()
    items = [
        DeadLetterRead(
            id=row.id,
            received_at=row.received_at,
            topic=row.topic,
            device_ref=row.device_ref,
            reason=row.reason,
            detail=row.detail,
            payload=row.payload,
            payload_bytes=row.payload_bytes,
        )
        for row in rows[:limit]
    ]
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor(DEAD_LETTERS_SORT, last.received_at, _seq_key(last.id))
    return DeadLetterPage(items=items, next_cursor=next_cursor)
