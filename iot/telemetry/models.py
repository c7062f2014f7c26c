"""What devices send, as stored: readings (time-partitioned), hourly rollups, camera events, each device's
latest state, and the messages set aside as dead letters.

`device_readings` is partitioned by day on the device's own timestamp. Retention drops whole partitions
(no DELETE, no vacuum debt). Its key (device_id, ts, seq) makes a redelivered message (the same payload,
so the same ts and seq) a no-op, and the same index serves one device's history over a time range.
The partitions themselves are made by iot/telemetry/repository/partitions.py, not by migrations.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlmodel import Field, SQLModel

from core.db import timestamp_now
from iot.types import CameraEventType, DeadLetterReason, DeviceState, one_of

READINGS_TABLE = "device_readings"
# Names of the partitions of device_readings: one per UTC day. There is no default partition: a reading older
# than the retention is a dead letter, one more than a day ahead too, and the days between are made ahead.
READINGS_PARTITION_PATTERN = r"^device_readings_p[0-9]{8}$"
METRIC_NAME_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"
DEAD_LETTER_PAYLOAD_CHARS = 2048


def _ts() -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), primary_key=True, nullable=False))


def _device_key() -> Any:
    # No foreign key on the high-volume tables: the consumer checks devices against its cache, and a
    # foreign key would cost a lookup per row.
    return Field(sa_column=Column(UUID(as_uuid=True), primary_key=True, nullable=False))


class Reading(SQLModel, table=True):
    """One telemetry message: every metric it carried, as a JSON object of finite numbers."""

    __tablename__ = READINGS_TABLE
    __table_args__ = {"postgresql_partition_by": "RANGE (ts)"}

    device_id: uuid.UUID = _device_key()
    ts: datetime = _ts()
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, nullable=False))
    metrics: dict[str, float] = Field(sa_column=Column(JSONB, nullable=False))
    received_at: datetime = timestamp_now()


class HourlyRollup(SQLModel, table=True):
    """Per device, metric and hour: count, sum, min and max. Sum and count rather than the average, so
    buckets can be merged into longer ones."""

    __tablename__ = "device_readings_hourly"
    __table_args__ = (Index("ix_device_readings_hourly_hour", "hour"),)

    device_id: uuid.UUID = _device_key()
    metric: str = Field(sa_column=Column(String(32), primary_key=True, nullable=False))
    hour: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True, nullable=False))
    n: int = Field(sa_column=Column(BigInteger, nullable=False))
    sum: float = Field(sa_column=Column(Float, nullable=False))
    min: float = Field(sa_column=Column(Float, nullable=False))
    max: float = Field(sa_column=Column(Float, nullable=False))


class RollupHour(SQLModel, table=True):
    """Which hours the rollup has made its passes over (see iot/telemetry/rollups.py): one row per hour,
    fleet-wide."""

    __tablename__ = "device_rollup_hours"

    hour: datetime = Field(sa_column=Column(DateTime(timezone=True), primary_key=True, nullable=False))
    passes: int = Field(sa_column=Column(SmallInteger, nullable=False))
    rolled_at: datetime = timestamp_now()


class CameraEvent(SQLModel, table=True):
    """A camera's detection, with the camera's location and ward copied at storage so the map needs no
    join and a later move of the camera does not move past detections."""

    __tablename__ = "device_camera_events"
    __table_args__ = (
        CheckConstraint(one_of("type", CameraEventType), name="type_known"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        Index("ix_device_camera_events_ts", "ts"),
        Index("ix_device_camera_events_location", "location", postgresql_using="gist"),
    )

    device_id: uuid.UUID = _device_key()
    ts: datetime = _ts()
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, nullable=False))
    type: str = Field(sa_column=Column(String(32), nullable=False))
    confidence: float = Field(sa_column=Column(Float, nullable=False))
    plate: str | None = Field(default=None, sa_column=Column(String(20)))
    # Normalised box in the image: {"x", "y", "w", "h"}, each in [0, 1].
    bbox: dict[str, float] | None = Field(default=None, sa_column=Column(JSONB))
    attributes: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    )
    # Content-addressed key of the snapshot in the media storage.
    snapshot_key: str | None = Field(default=None, sa_column=Column(String(200)))
    location: Any = Field(sa_column=Column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False))
    ward_code: str | None = Field(default=None, sa_column=Column(String(5)))
    received_at: datetime = timestamp_now()


class LatestState(SQLModel, table=True):
    """Each device's latest state, written once per consumer batch. `online` is decided by the worker's
    device task (from the last will, the status topic and silence), which also emits the changes."""

    __tablename__ = "device_state"
    __table_args__ = (
        CheckConstraint(
            f"reported_state IS NULL OR {one_of('reported_state', DeviceState)}", name="reported_state_known"
        ),
    )

    device_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    )
    # The newest telemetry: its sequence number and timestamp, and every metric last reported (merged, so a
    # device that sends metrics in turns keeps all of them).
    seq: int | None = Field(default=None, sa_column=Column(BigInteger))
    ts: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    metrics: dict[str, float] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    )
    # When anything (telemetry, event or status) last arrived from the device.
    last_seen_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # The last message on the status topic (its will included) and when it arrived.
    reported_state: str | None = Field(default=None, sa_column=Column(String(8)))
    reported_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_event_type: str | None = Field(default=None, sa_column=Column(String(32)))
    last_event_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    online: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=text("false"))
    )
    online_changed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    updated_at: datetime = timestamp_now()


class DeadLetter(SQLModel, table=True):
    """A message the consumer could not store, kept for an admin to look at: never retried by itself."""

    __tablename__ = "ingest_dead_letters"
    __table_args__ = (
        CheckConstraint(one_of("reason", DeadLetterReason), name="reason_known"),
        Index("ix_ingest_dead_letters_received", "received_at", "id"),
    )

    id: int | None = Field(default=None, sa_column=Column(BigInteger, Identity(), primary_key=True))
    received_at: datetime = timestamp_now()
    topic: str = Field(sa_column=Column(String(256), nullable=False))
    # The id as written in the topic: it may name no device, or not even be a UUID.
    device_ref: str | None = Field(default=None, sa_column=Column(String(64)))
    reason: str = Field(sa_column=Column(String(32), nullable=False))
    detail: str = Field(sa_column=Column(String(500), nullable=False))
    # The payload's first characters (decoded leniently) and its real size in bytes.
    payload: str = Field(sa_column=Column(Text, nullable=False))
    payload_bytes: int = Field(sa_column=Column(Integer, nullable=False))
