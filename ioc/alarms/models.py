"""Alarms, the timeline of everything that happened to each, and who hears about them.

One active alarm per (rule, source): a partial unique index makes a second one impossible, so a repeat can
only raise the count, the last-seen time and perhaps the severity of the one there is. The status is kept
in a column (rather than derived from the times) because every list filters on it.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    Integer,
    String,
    Text,
    Time,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlmodel import Field, SQLModel

from core.db import timestamp_now, uuid_primary_key
from ioc.types import AlarmStatus, Severity, SourceKind
from iot.types import one_of

TITLE_MAX_LENGTH = 200
COMMENT_MAX_LENGTH = 2000


class Alarm(SQLModel, table=True):
    __tablename__ = "alarms"
    __table_args__ = (
        CheckConstraint(one_of("severity", Severity), name="severity_known"),
        CheckConstraint(one_of("status", AlarmStatus), name="status_known"),
        CheckConstraint(one_of("source_kind", SourceKind), name="source_kind_known"),
        CheckConstraint("count >= 1", name="count_positive"),
        CheckConstraint(
            "(status IN ('cleared_unacknowledged', 'cleared_acknowledged')) = (cleared_at IS NOT NULL)",
            name="cleared_at_matches_status",
        ),
        CheckConstraint(
            "(status IN ('active_acknowledged', 'cleared_acknowledged')) = (acknowledged_at IS NOT NULL)",
            name="acknowledged_at_matches_status",
        ),
        # One active alarm per rule and source.
        Index(
            "uq_alarms_active_source",
            "rule_id",
            "source_key",
            unique=True,
            postgresql_where=text("cleared_at IS NULL"),
        ),
        ForeignKeyConstraint(
            ["rule_id", "rule_version"],
            ["alert_rule_versions.rule_id", "alert_rule_versions.version"],
            ondelete="RESTRICT",
        ),
        # The lists: newest first within a unit, with a (raised_at, id) cursor.
        Index("ix_alarms_unit_raised", "unit_code", "raised_at", "id"),
        Index("ix_alarms_raised", "raised_at", "id"),
        Index("ix_alarms_status", "status"),
        Index("ix_alarms_location", "location", postgresql_using="gist"),
        # The operations centre's KPIs: a unit's alarms open now, by severity.
        Index("ix_alarms_open_unit", "unit_code", "severity", postgresql_where=text("cleared_at IS NULL")),
    )

    id: uuid.UUID = uuid_primary_key()
    # Null for an alarm an officer raised by hand (none today; the column allows it).
    rule_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    rule_version: int | None = Field(default=None, sa_column=Column(Integer))
    source_kind: str = Field(sa_column=Column(String(16), nullable=False))
    source_key: str = Field(sa_column=Column(String(100), nullable=False))
    device_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID(as_uuid=True), ForeignKey("devices.id", ondelete="SET NULL"), index=True),
    )
    # The responsible unit: the device's (or the reports') ward, else the province.
    unit_code: str = Field(
        sa_column=Column(String(5), ForeignKey("admin_units.code", ondelete="RESTRICT"), nullable=False)
    )
    location: Any = Field(default=None, sa_column=Column(Geometry("POINT", srid=4326, spatial_index=False)))
    type: str = Field(sa_column=Column(String(40), nullable=False, index=True))
    severity: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(sa_column=Column(String(24), nullable=False))
    title_vi: str = Field(sa_column=Column(String(TITLE_MAX_LENGTH), nullable=False))
    title_en: str = Field(sa_column=Column(String(TITLE_MAX_LENGTH), nullable=False))
    # What triggered it: the reading's values, the detection, the report ids... (small; shown as is).
    details: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    )
    count: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default=text("1")))
    raised_at: datetime = timestamp_now()
    last_seen_at: datetime = timestamp_now()
    acknowledged_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    acknowledged_by: uuid.UUID | None = Field(
        default=None, sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    )
    cleared_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    cleared_by: uuid.UUID | None = Field(
        default=None, sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    )
    # rule (its clearing condition), officer, or resolved (by the field staff who went).
    clear_reason: str | None = Field(default=None, sa_column=Column(String(16)))
    assignee_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"), index=True),
    )
    # When the next reminder is due while unacknowledged (null: none).
    remind_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    updated_at: datetime = timestamp_now()


class AlarmEntry(SQLModel, table=True):
    """One change of an alarm: raised, repeated, severity changed, acknowledged, assigned, commented,
    dispatched, accepted, progress, cleared... with who (null: the rules) and when.

    `reacted_at` is null until the alerts task has done what follows from the change (pushes, dispatch
    offers, incident links): an entry committed with its reading is a job that cannot be lost.
    """

    __tablename__ = "alarm_timeline"
    __table_args__ = (
        Index("ix_alarm_timeline_alarm_at", "alarm_id", "at", "id"),
        Index("ix_alarm_timeline_pending", "id", postgresql_where=text("reacted_at IS NULL")),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True)
    )
    alarm_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("alarms.id", ondelete="CASCADE"), nullable=False)
    )
    at: datetime = timestamp_now()
    kind: str = Field(sa_column=Column(String(24), nullable=False))
    actor_id: uuid.UUID | None = Field(
        default=None, sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"))
    )
    severity: str | None = Field(default=None, sa_column=Column(String(16)))
    status: str | None = Field(default=None, sa_column=Column(String(24)))
    comment: str | None = Field(default=None, sa_column=Column(Text))
    detail: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    )
    reacted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class UnitAlertSettings(SQLModel, table=True):
    """Per unit: from which severity its officers get a push, how often an unacknowledged alarm reminds,
    from which severity field staff are dispatched. A unit without a row uses the defaults in settings."""

    __tablename__ = "unit_alert_settings"
    __table_args__ = (
        CheckConstraint(one_of("push_min_severity", Severity), name="push_severity_known"),
        CheckConstraint(one_of("dispatch_min_severity", Severity), name="dispatch_severity_known"),
    )

    unit_code: str = Field(
        sa_column=Column(String(5), ForeignKey("admin_units.code", ondelete="CASCADE"), primary_key=True)
    )
    push_min_severity: str = Field(sa_column=Column(String(16), nullable=False))
    dispatch_min_severity: str = Field(sa_column=Column(String(16), nullable=False))
    # {"critical": 300, "major": 900, ...}: seconds between reminders; a severity left out never reminds.
    reminder_seconds: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    )
    updated_at: datetime = timestamp_now()


class AlertPreferences(SQLModel, table=True):
    """What one officer wants on his phone. Critical alarms reach him whatever he chose."""

    __tablename__ = "alert_preferences"
    __table_args__ = (CheckConstraint(one_of("min_severity", Severity), name="min_severity_known"),)

    user_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    )
    # Null: every type.
    alarm_types: list[str] | None = Field(default=None, sa_column=Column(ARRAY(String(40))))
    min_severity: str = Field(sa_column=Column(String(16), nullable=False))
    # Local time in Asia/Ho_Chi_Minh; a window may run over midnight (22:00 to 06:00). Both or neither.
    quiet_start: time | None = Field(default=None, sa_column=Column(Time))
    quiet_end: time | None = Field(default=None, sa_column=Column(Time))
    updated_at: datetime = timestamp_now()
