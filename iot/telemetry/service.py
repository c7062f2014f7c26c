"""Reading what devices sent: a metric's history over a checked range, a camera's events and the dead letters,
as the telemetry routes answer them. The SQL is in iot.telemetry.repository.history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from core.cursor import Cursor, decode_cursor, fetch_limit, invalid_cursor, keyset_page
from core.errors import Message, ProblemError, invalid_parameter
from core.media.signing import MediaUrls
from iot.registry.schemas import DevicePoint
from iot.telemetry.repository import history
from iot.telemetry.rollups import live_window_start
from iot.telemetry.schemas import (
    BUCKET_WIDTH,
    MAX_RANGE,
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

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EVENTS_SORT = "device_events"
DEAD_LETTERS_SORT = "dead_letters"
DEFAULT_RANGE = timedelta(hours=24)
# Moments outside these are no reading's; refusing them also keeps date arithmetic from overflowing.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _invalid_range(message: Message) -> ProblemError:
    return invalid_parameter("from", message)


def checked_range(
    start: datetime | None, end: datetime | None, bucket: Bucket, now: datetime
) -> tuple[datetime, datetime]:
    """The range asked for (the last 24 hours by default); 422 when reversed or too long for the bucket."""
    for moment in (start, end):
        if moment is not None and not EARLIEST <= moment <= LATEST:
            raise _invalid_range(
                Message(
                    "Thời điểm nằm ngoài khoảng cho phép (1970–2200)",
                    "A moment is outside the accepted years (1970 to 2200)",
                )
            )
    end = end or (now if start is None else start + DEFAULT_RANGE)
    start = start or end - DEFAULT_RANGE
    if start >= end:
        raise _invalid_range(Message("from phải trước to", "from must be before to"))
    longest = MAX_RANGE[bucket]
    if end - start > longest:
        raise _invalid_range(
            Message(
                f"Khoảng thời gian quá dài cho bucket={bucket.value}: tối đa {longest.days} ngày",
                f"The range is too long for bucket={bucket.value}: at most {longest.days} days",
            )
        )
    return start, end


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
    if bucket is Bucket.RAW:
        rows = await history.raw_readings(
            session, device_id, metric, start, end, limit=fetch_limit(RAW_MAX_POINTS)
        )
        truncated = len(rows) > RAW_MAX_POINTS
        points = [RawPoint(ts=row.ts, seq=row.seq, value=row.value) for row in rows[:RAW_MAX_POINTS]]
    else:
        width = BUCKET_WIDTH[bucket]
        start, end = align_down(start, width), align_up(end, width)
        if bucket is Bucket.HOUR:
            rows = await history.hourly(session, device_id, metric, start, end, live_window_start(now))
        else:
            rows = await history.binned(session, device_id, metric, start, end, width)
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


def _decode(sort: str, cursor: str | None) -> tuple[datetime, int] | None:
    """Where the page starts: the cursor's moment and the bigint it carries as its tie-breaker."""
    position: Cursor | None = decode_cursor(sort, cursor)
    if position is None:
        return None
    if position.id.int >= 2**63:
        raise invalid_cursor()
    return position.at, position.id.int


async def camera_events(
    session: AsyncSession, device_id: uuid.UUID, *, cursor: str | None, limit: int, media: MediaUrls
) -> CameraEventPage:
    """The device's camera events, newest first, keyset on (ts, seq). Snapshots may show people and number
    plates: their URLs expire, and only callers allowed to see the device get them."""
    after = _decode(EVENTS_SORT, cursor)
    rows = await history.camera_events(session, device_id, after, fetch_limit(limit))
    page = keyset_page(
        rows,
        limit,
        sort=EVENTS_SORT,
        position=lambda row: (row.ts, _seq_key(row.seq)),
        item=lambda row: CameraEventRead(
            ts=row.ts,
            seq=row.seq,
            type=row.type,
            confidence=row.confidence,
            plate=row.plate,
            bbox=row.bbox,
            attributes=row.attributes,
            snapshot_key=row.snapshot_key,
            snapshot_url=media.url(row.snapshot_key, public=False) if row.snapshot_key else None,
            location=DevicePoint(lat=row.lat, lon=row.lon),
            ward_code=row.ward_code,
            received_at=row.received_at,
        ),
    )
    return CameraEventPage(items=page.items, next_cursor=page.next_cursor)


async def dead_letters(
    session: AsyncSession, reasons: list[str], *, cursor: str | None, limit: int
) -> DeadLetterPage:
    """Newest first, keyset on (received_at, id)."""
    rows = await history.dead_letters(
        session, reasons, _decode(DEAD_LETTERS_SORT, cursor), fetch_limit(limit)
    )
    page = keyset_page(
        rows,
        limit,
        sort=DEAD_LETTERS_SORT,
        position=lambda row: (row.received_at, _seq_key(row.id)),
        item=lambda row: DeadLetterRead(
            id=row.id,
            received_at=row.received_at,
            topic=row.topic,
            device_ref=row.device_ref,
            reason=row.reason,
            detail=row.detail,
            payload=row.payload,
            payload_bytes=row.payload_bytes,
        ),
    )
    return DeadLetterPage(items=page.items, next_cursor=page.next_cursor)
