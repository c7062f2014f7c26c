"""What the telemetry, camera-event and dead-letter routes answer."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from iot.registry.schemas import DevicePoint


class Bucket(StrEnum):
    RAW = "raw"
    MINUTE = "1m"
    FIVE_MINUTES = "5m"
    HOUR = "1h"


BUCKET_WIDTH: dict[Bucket, timedelta] = {
    Bucket.MINUTE: timedelta(minutes=1),
    Bucket.FIVE_MINUTES: timedelta(minutes=5),
    Bucket.HOUR: timedelta(hours=1),
}
# The longest range each bucket may cover: enough for its charts, bounded so one request stays cheap.
MAX_RANGE: dict[Bucket, timedelta] = {
    Bucket.RAW: timedelta(days=2),
    Bucket.MINUTE: timedelta(days=7),
    Bucket.FIVE_MINUTES: timedelta(days=31),
    Bucket.HOUR: timedelta(days=366),
}
# Raw points answered at most; a device reporting every second fills two days with 172,800 of them.
RAW_MAX_POINTS = 10_000


class RawPoint(BaseModel):
    ts: datetime = Field(description="The device's timestamp of the reading.")
    seq: int
    value: float


class BucketStats(BaseModel):
    start: datetime = Field(description="Start of the bucket (buckets are aligned on the epoch, UTC).")
    avg: float
    min: float
    max: float
    count: int = Field(description="Readings in the bucket.")


class TelemetryHistory(BaseModel):
    device_id: uuid.UUID
    metric: str
    bucket: Bucket
    from_: datetime = Field(
        serialization_alias="from",
        description="Start of the range (included); for buckets, aligned down to a bucket's start.",
    )
    to: datetime = Field(
        description="End of the range (excluded); for buckets, aligned up to a bucket's end."
    )
    points: list[RawPoint] = Field(
        description="With bucket=raw: the readings, oldest first; empty otherwise."
    )
    buckets: list[BucketStats] = Field(
        description="With 1m, 5m, 1h: buckets that hold readings, oldest first; empty with raw."
    )
    truncated: bool = Field(
        description=f"True when raw readings beyond the first {RAW_MAX_POINTS} were left "
        "out: ask again from the last point's ts."
    )


class CameraEventRead(BaseModel):
    ts: datetime
    seq: int
    type: str
    confidence: float
    plate: str | None
    bbox: dict[str, float] | None = Field(description="Normalised box in the image: x, y, w, h in [0, 1].")
    attributes: dict[str, Any]
    snapshot_key: str | None = Field(
        description="Media key of the snapshot; fetch it through snapshot_url (a bare key is not served)."
    )
    snapshot_url: str | None = Field(
        default=None,
        description="The snapshot's signed URL, valid for one to two hours and cached privately only.",
    )
    location: DevicePoint = Field(description="Where the camera stood when it saw it.")
    ward_code: str | None
    received_at: datetime


class CameraEventPage(BaseModel):
    items: list[CameraEventRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class DeadLetterRead(BaseModel):
    id: int
    received_at: datetime
    topic: str
    device_ref: str | None = Field(description="The id as written in the topic; it may name no device.")
    reason: str
    detail: str
    payload: str = Field(description="The payload's first 2,048 characters, decoded leniently.")
    payload_bytes: int = Field(description="The payload's real size in bytes.")


class DeadLetterPage(BaseModel):
    items: list[DeadLetterRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")
