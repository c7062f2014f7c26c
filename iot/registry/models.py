"""The device registry: every sensor and camera the city runs, where it stands and whose ward it is in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, Column, DateTime, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from core.db import timestamp_now, uuid_primary_key
from iot.types import DeviceStatus, DeviceType, one_of

NAME_MAX_LENGTH = 200
METADATA_MAX_BYTES = 8 * 1024


class Device(SQLModel, table=True):
    """A registered device. Its ward is derived from its point, so moving it moves it between wards."""

    __tablename__ = "devices"
    __table_args__ = (
        CheckConstraint(one_of("type", DeviceType), name="type_known"),
        CheckConstraint(one_of("status", DeviceStatus), name="status_known"),
        CheckConstraint("char_length(name) BETWEEN 1 AND 200", name="name_length"),
        CheckConstraint("jsonb_typeof(metadata) = 'object'", name="metadata_is_object"),
        CheckConstraint(
            "(status = 'decommissioned') = (decommissioned_at IS NOT NULL)",
            name="decommissioned_at_matches_status",
        ),
        Index("ix_devices_location", "location", postgresql_using="gist"),
        # The registry list: newest first with a (created_at, id) cursor.
        Index("ix_devices_created", "created_at", "id"),
        Index("ix_devices_ward_code", "ward_code"),
    )

    id: uuid.UUID = uuid_primary_key()
    type: str = Field(sa_column=Column(String(32), nullable=False))
    name: str = Field(sa_column=Column(String(NAME_MAX_LENGTH), nullable=False))
    location: Any = Field(sa_column=Column(Geometry("POINT", srid=4326, spatial_index=False), nullable=False))
    ward_code: str | None = Field(
        default=None,
        sa_column=Column(String(5), ForeignKey("admin_units.code", ondelete="RESTRICT"), nullable=True),
    )
    province_code: str = Field(
        sa_column=Column(String(5), ForeignKey("admin_units.code", ondelete="RESTRICT"), nullable=False)
    )
    # Named device_metadata in Python: SQLModel reserves `metadata` for the table registry.
    device_metadata: dict[str, Any] = Field(
        default_factory=dict,
        sa_column=Column("metadata", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    )
    status: str = Field(
        default=DeviceStatus.ACTIVE.value,
        sa_column=Column(String(16), nullable=False, server_default=DeviceStatus.ACTIVE.value),
    )
    created_at: datetime = timestamp_now()
    updated_at: datetime = timestamp_now()
    decommissioned_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
