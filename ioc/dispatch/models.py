"""Field dispatch: where field staff are, the alarms offered to them, and what the one who went reports.

A field worker's position is kept only while he is on duty and fresh (ioc_dispatch_position_ttl_seconds);
going off duty erases it. Whether he is available is not stored: he is busy exactly while an alarm he
accepted is still active and his, so resolving it, or an officer clearing or reassigning it, frees him
without anyone having to remember to.

A dispatch is one attempt to find someone for an alarm: rings of offers to the nearest available staff,
until one accepts, the rings run out (escalated to the unit's officers) or the alarm no longer needs anyone
(cancelled: cleared, or assigned by an officer). At most one is open per alarm.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from geoalchemy2 import Geometry
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from core.db import timestamp_now, uuid_primary_key
from iot.types import one_of

NOTE_MAX_LENGTH: Final = 2000
REASON_MAX_LENGTH: Final = 500
MAX_PHOTOS: Final = 5


class DispatchStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    ESCALATED = "escalated"  # the rings ran out; the unit's officers were told
    CANCELLED = "cancelled"  # the alarm was cleared or assigned by an officer meanwhile


class OfferAnswer(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"  # unanswered when the dispatch escalated
    WITHDRAWN = "withdrawn"  # a colleague accepted, or the alarm no longer needs anyone


class ProgressKind(StrEnum):
    PROGRESS = "progress"
    RESOLUTION = "resolution"


def _user(*, index: bool = False) -> Any:
    return Field(
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=index
        )
    )


def _alarm() -> Any:
    return Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("alarms.id", ondelete="CASCADE"), nullable=False)
    )


class FieldStatus(SQLModel, table=True):
    """One field worker's duty and latest position (only while on duty)."""

    __tablename__ = "field_staff_status"
    __table_args__ = (
        CheckConstraint("on_duty OR position IS NULL", name="position_only_on_duty"),
        CheckConstraint("(position IS NULL) = (position_at IS NULL)", name="position_has_time"),
        CheckConstraint("accuracy_m IS NULL OR accuracy_m BETWEEN 0 AND 5000", name="accuracy_in_range"),
        Index("ix_field_staff_status_position", "position", postgresql_using="gist"),
    )

    user_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    on_duty: bool = Field(sa_column=Column(Boolean, nullable=False))
    position: Any = Field(default=None, sa_column=Column(Geometry("POINT", srid=4326, spatial_index=False)))
    accuracy_m: float | None = Field(default=None, sa_column=Column(Float))
    # When the phone took the position (its recorded_at, else when it arrived): freshness counts from here.
    position_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # When he last said anything (on or off duty).
    updated_at: datetime = timestamp_now()


class Dispatch(SQLModel, table=True):
    __tablename__ = "dispatches"
    __table_args__ = (
        CheckConstraint(one_of("status", DispatchStatus), name="status_known"),
        CheckConstraint("(status = 'open') = (closed_at IS NULL)", name="closed_at_matches_status"),
        CheckConstraint("ring >= 0", name="ring_not_negative"),
        # At most one open dispatch per alarm: a second reaction to the same alarm cannot start another.
        Index("uq_dispatches_open_alarm", "alarm_id", unique=True, postgresql_where=text("status = 'open'")),
        Index("ix_dispatches_alarm", "alarm_id", "opened_at"),
        # Who is busy: the accepted dispatches of each worker.
        Index("ix_dispatches_accepted_by", "accepted_by", postgresql_where=text("status = 'accepted'")),
    )

    id: uuid.UUID = uuid_primary_key()
    alarm_id: uuid.UUID = _alarm()
    status: str = Field(sa_column=Column(String(16), nullable=False))
    # The ring offered last (0 before the first), and when it was.
    ring: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    ring_at: datetime = timestamp_now()
    opened_at: datetime = timestamp_now()
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    accepted_by: uuid.UUID | None = Field(
        default=None, sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    )


class DispatchOffer(SQLModel, table=True):
    __tablename__ = "dispatch_offers"
    __table_args__ = (
        CheckConstraint(one_of("answer", OfferAnswer), name="answer_known"),
        CheckConstraint("(answer IS NULL) = (answered_at IS NULL)", name="answered_at_matches_answer"),
        CheckConstraint("ring >= 1", name="ring_positive"),
        CheckConstraint("distance_m >= 0", name="distance_not_negative"),
        Index("uq_dispatch_offers_staff", "dispatch_id", "staff_id", unique=True),
        Index("ix_dispatch_offers_alarm_staff", "alarm_id", "staff_id"),
        # A worker's open offers (his phone's list) and the open offers of a dispatch.
        Index("ix_dispatch_offers_staff_open", "staff_id", postgresql_where=text("answer IS NULL")),
        # The operations centre's KPIs: the offers made in a period.
        Index("ix_dispatch_offers_offered", "offered_at"),
    )

    id: uuid.UUID = uuid_primary_key()
    dispatch_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("dispatches.id", ondelete="CASCADE"), nullable=False)
    )
    alarm_id: uuid.UUID = _alarm()
    staff_id: uuid.UUID = _user()
    ring: int = Field(sa_column=Column(Integer, nullable=False))
    distance_m: float = Field(sa_column=Column(Float, nullable=False))
    offered_at: datetime = timestamp_now()
    answer: str | None = Field(default=None, sa_column=Column(String(16)))
    answered_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    reason: str | None = Field(default=None, sa_column=Column(String(REASON_MAX_LENGTH)))


class ProgressNote(SQLModel, table=True):
    """What the assignee reported from the field: a progress note, or the resolution."""

    __tablename__ = "dispatch_progress"
    __table_args__ = (
        CheckConstraint(one_of("kind", ProgressKind), name="kind_known"),
        Index("ix_dispatch_progress_alarm", "alarm_id", "created_at", "id"),
    )

    id: uuid.UUID = uuid_primary_key()
    alarm_id: uuid.UUID = _alarm()
    author_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    )
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    note: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = timestamp_now()


class DispatchPhoto(SQLModel, table=True):
    """A sanitised photo a field worker uploaded; attached to a progress note, or waiting to be (an upload
    never attached is removed after a day)."""

    __tablename__ = "dispatch_photos"
    __table_args__ = (
        CheckConstraint("position >= 0", name="position_not_negative"),
        Index("ix_dispatch_photos_progress", "progress_id", "position"),
    )

    id: uuid.UUID = uuid_primary_key()
    progress_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID(as_uuid=True), ForeignKey("dispatch_progress.id", ondelete="CASCADE")),
    )
    uploader_id: uuid.UUID = _user(index=True)
    position: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    media_key: str = Field(sa_column=Column(String(128), nullable=False))
    thumbnail_key: str = Field(sa_column=Column(String(128), nullable=False))
    content_type: str = Field(sa_column=Column(String(32), nullable=False))
    width: int = Field(sa_column=Column(Integer, nullable=False))
    height: int = Field(sa_column=Column(Integer, nullable=False))
    byte_size: int = Field(sa_column=Column(Integer, nullable=False))
    created_at: datetime = timestamp_now()
