"""What the registry routes read and write: devices, the list's filters, and the MQTT credentials a device is
told once."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.bbox import BBox
from iot.registry.models import METADATA_MAX_BYTES, NAME_MAX_LENGTH
from iot.types import DeviceStatus, DeviceType


class DevicePoint(BaseModel):
    """Where the device stands (WGS 84)."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


def _small_object(value: dict[str, Any] | None) -> dict[str, Any] | None:
    # Free-form vendor details (model, firmware, mounting); bounded so a row stays small.
    if value is not None and len(json.dumps(value, ensure_ascii=False).encode("utf-8")) > METADATA_MAX_BYTES:
        raise ValueError(f"metadata must be at most {METADATA_MAX_BYTES} bytes of JSON")
    return value


class DeviceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: DeviceType
    name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    location: DevicePoint
    metadata: dict[str, Any] = Field(default_factory=dict, description="A JSON object of at most 8 KiB.")

    _metadata_size = field_validator("metadata")(_small_object)


class DevicePatch(BaseModel):
    """Fields to change; omitted ones stay. Decommissioning has its own route."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=NAME_MAX_LENGTH)
    location: DevicePoint | None = None
    metadata: dict[str, Any] | None = Field(default=None, description="Replaces the whole object.")
    status: Literal["active", "maintenance"] | None = None

    _metadata_size = field_validator("metadata")(_small_object)


class DeviceStateRead(BaseModel):
    """What the device last sent, and whether it is online (decided by the worker's device task)."""

    online: bool
    online_changed_at: datetime | None
    last_seen_at: datetime | None = Field(
        description="When anything (telemetry, event, status) last arrived."
    )
    ts: datetime | None = Field(description="The device's timestamp of its newest telemetry.")
    seq: int | None
    metrics: dict[str, float] = Field(description="Every metric last reported (merged across messages).")
    reported_state: str | None = Field(description="The last status message: online or offline (its will).")
    last_event_type: str | None
    last_event_at: datetime | None


class DeviceRead(BaseModel):
    id: uuid.UUID
    type: DeviceType
    name: str
    location: DevicePoint
    ward_code: str | None = Field(description="The ward containing the point; null when it lies in no ward.")
    province_code: str
    metadata: dict[str, Any]
    status: DeviceStatus
    created_at: datetime
    updated_at: datetime
    decommissioned_at: datetime | None
    state: DeviceStateRead | None = Field(default=None, description="Null until anything arrived.")


class DevicePage(BaseModel):
    items: list[DeviceRead]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


@dataclass(frozen=True, slots=True)
class DeviceFilter:
    """The device list's filters; empty ones do not filter."""

    bbox: BBox | None = None
    types: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    ward_code: str | None = None


# What a device is told once, at registration or when its credentials are renewed: where and how to connect.


class DeviceTopics(BaseModel):
    telemetry: str = Field(examples=["city/v1/devices/0b7c.../telemetry"])
    event: str
    status: str = Field(description="Retained; also the device's last will.")


class MqttCredentials(BaseModel):
    host: str
    port: int
    username: str = Field(description="The device id.")
    password: str = Field(description="Shown only in this answer; the backend keeps no readable copy.")
    client_id: str = Field(description="The device id: the broker refuses any other client id.")
    topics: DeviceTopics


class DeviceCredentials(BaseModel):
    mqtt: MqttCredentials


class DeviceCreated(DeviceRead):
    """The registered device and its MQTT credentials, returned this once."""

    mqtt: MqttCredentials
