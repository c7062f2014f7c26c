"""Alert rules, their versions, and what each rule remembers about each source it watches.

A rule is a stable id and name; what it says lives in numbered versions, so that a change makes a new
version and an alarm keeps the version that raised it. The scope of the current version is copied into
columns (units, device types, zone) so that "which rules watch this device" is one indexed query when the
rules are loaded.
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
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlmodel import Field, SQLModel

from core.db import timestamp_now, uuid_primary_key
from ioc.types import RuleKind, SourceKind
from iot.types import one_of


class AlertRule(SQLModel, table=True):
    __tablename__ = "alert_rules"
    __table_args__ = (
        CheckConstraint(one_of("kind", RuleKind), name="kind_known"),
        CheckConstraint("current_version >= 1", name="version_positive"),
        Index("ix_alert_rules_created", "created_at", "id"),
    )

    id: uuid.UUID = uuid_primary_key()
    # The kind never changes between versions: a rule of another kind is another rule.
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    current_version: int = Field(sa_column=Column(Integer, nullable=False))
    enabled: bool = Field(sa_column=Column(Boolean, nullable=False, server_default=text("true")))
    created_by: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    )
    created_at: datetime = timestamp_now()
    updated_at: datetime = timestamp_now()
    # Deleted rules stay (their alarms name them); they are never evaluated again.
    deleted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class AlertRuleVersion(SQLModel, table=True):
    __tablename__ = "alert_rule_versions"
    __table_args__ = (
        Index("ix_alert_rule_versions_zone", "zone", postgresql_using="gist"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    rule_id: uuid.UUID = Field(
        sa_column=Column(
            UUID(as_uuid=True), ForeignKey("alert_rules.id", ondelete="CASCADE"), primary_key=True
        )
    )
    version: int = Field(sa_column=Column(Integer, primary_key=True))
    # The whole definition as validated (ioc.rules.definition.RuleDefinition), in its JSON form.
    definition: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    alarm_type: str = Field(sa_column=Column(String(40), nullable=False))
    unit_codes: list[str] | None = Field(default=None, sa_column=Column(ARRAY(String(5))))
    device_types: list[str] | None = Field(default=None, sa_column=Column(ARRAY(String(32))))
    zone: Any = Field(default=None, sa_column=Column(Geometry("POLYGON", srid=4326, spatial_index=False)))
    created_by: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    )
    created_at: datetime = timestamp_now()
    # Why the admin changed it, shown in the rule's history.
    note: str | None = Field(default=None, sa_column=Column(Text))


class RuleState(SQLModel, table=True):
    """What a rule knows about one source between messages: since when its condition holds, since when its
    clearing condition holds, the recent values a rate of change needs, the alarm it raised, and when time
    alone may change something (a hold reached, an escalation, a clearing by absence)."""

    __tablename__ = "alert_rule_states"
    __table_args__ = (
        CheckConstraint(one_of("source_kind", SourceKind), name="source_kind_known"),
        # The time-driven pass picks the states whose next moment has come.
        Index("ix_alert_rule_states_due", "due_at", postgresql_where=text("due_at IS NOT NULL")),
        ForeignKeyConstraint(
            ["rule_id", "rule_version"],
            ["alert_rule_versions.rule_id", "alert_rule_versions.version"],
            ondelete="CASCADE",
        ),
    )

    rule_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), primary_key=True))
    # A device id, or a report cluster's key; with the rule, the key of "one active alarm".
    source_key: str = Field(sa_column=Column(String(100), primary_key=True))
    source_kind: str = Field(sa_column=Column(String(16), nullable=False))
    # The version the state was computed under: a new version starts every hold afresh.
    rule_version: int = Field(sa_column=Column(Integer, nullable=False))
    # Time of the newest message taken into account: an older one arriving late changes no hold.
    last_ts: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # Since when the raising condition holds without a break (null: it does not hold).
    held_since: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # The last time the trigger was seen (a qualifying reading, detection or report).
    last_true_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # Since when the clearing condition holds without a break.
    clear_since: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # The active alarm this state raised, if any.
    alarm_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    severity: str | None = Field(default=None, sa_column=Column(String(16)))
    # Recent values and anything else a kind needs ({"level_cm": [[epoch, value], ...]}), bounded.
    memory: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default=text("'{}'::jsonb"))
    )
    # When time alone may change this state; null when only a new message can.
    due_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    updated_at: datetime = timestamp_now()


class DeviceStamp(SQLModel, table=True):
    """A counter per device, bumped in the same transaction as every change to what the rules hold about it
    (its states, the liveness of the alarms they name), by writers holding the device's device_state row
    lock. A consumer that kept the device's states in memory compares it to know they are still current."""

    __tablename__ = "alert_device_stamps"

    device_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    )
    stamp: int = Field(sa_column=Column(BigInteger, nullable=False))
