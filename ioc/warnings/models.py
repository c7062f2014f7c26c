"""Public warnings: a warning is a chain of CAP messages (an Alert, then Updates, perhaps a Cancel).

`warnings` holds one row per chain with what the public lists filter on, always those of its newest message
(the current one): the wards it concerns, its area, its expiry, whether it was cancelled. `warning_messages`
holds every message of the chain as it was sent, including its CAP document: a message once sent never
changes, so the XML is rendered once and served as stored, even if ward boundaries are re-imported later.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlmodel import Field, SQLModel

from core.db import timestamp_now, uuid_primary_key
from ioc.warnings.vocabulary import CapSeverity, Category, Certainty, MsgType, Urgency
from iot.types import one_of

IDENTIFIER_MAX_LENGTH = 100
SENDER_MAX_LENGTH = 255
EVENT_MAX_LENGTH = 100
# CAP advises headlines of at most 160 characters (they are sent as text messages and push titles).
HEADLINE_MAX_LENGTH = 160
TEXT_MAX_LENGTH = 4000

# Numbers of the messages' identifiers (smartcity-37-2026-000123), one sequence for every province and year.
warning_number_seq = Sequence("warning_number_seq", metadata=SQLModel.metadata)


class PublicWarning(SQLModel, table=True):
    __tablename__ = "warnings"
    __table_args__ = (
        CheckConstraint("message_count >= 1", name="message_count_positive"),
        # The public list: not cancelled and not expired, newest first, by ward or by box.
        Index("ix_warnings_current", "sent", "id", postgresql_where=text("cancelled_at IS NULL")),
        Index("ix_warnings_ward_codes", "ward_codes", postgresql_using="gin"),
        Index("ix_warnings_area", "area", postgresql_using="gist"),
    )

    id: uuid.UUID = uuid_primary_key()
    # The current message is the chain's message number `message_count`.
    message_count: int = Field(sa_column=Column(Integer, nullable=False))
    province_code: str = Field(
        sa_column=Column(String(5), ForeignKey("admin_units.code", ondelete="RESTRICT"), nullable=False)
    )
    # Every ward the current message concerns: those chosen and those its polygon covers in part.
    ward_codes: list[str] = Field(sa_column=Column(ARRAY(String(5)), nullable=False))
    # The chosen wards' boundaries and the polygon, as one shape for box queries.
    area: Any = Field(
        sa_column=Column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False), nullable=False)
    )
    sent: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_by: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    )
    created_at: datetime = timestamp_now()
    updated_at: datetime = timestamp_now()


class WarningMessage(SQLModel, table=True):
    __tablename__ = "warning_messages"
    __table_args__ = (
        UniqueConstraint("warning_id", "seq"),
        UniqueConstraint("identifier"),
        CheckConstraint(one_of("msg_type", MsgType), name="msg_type_known"),
        CheckConstraint(one_of("category", Category), name="category_known"),
        CheckConstraint(one_of("urgency", Urgency), name="urgency_known"),
        CheckConstraint(one_of("severity", CapSeverity), name="severity_known"),
        CheckConstraint(one_of("certainty", Certainty), name="certainty_known"),
        CheckConstraint("expires > onset", name="expires_after_onset"),
        # The first message alerts and references nothing; every later one references the earlier ones.
        CheckConstraint("(seq = 1) = (msg_type = 'Alert')", name="alert_first"),
        CheckConstraint("(seq = 1) = (cap_references IS NULL)", name="references_earlier"),
        CheckConstraint("cardinality(ward_codes) > 0 OR polygon IS NOT NULL", name="has_area"),
    )

    id: uuid.UUID = uuid_primary_key()
    warning_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("warnings.id", ondelete="CASCADE"), nullable=False)
    )
    seq: int = Field(sa_column=Column(Integer, nullable=False))
    identifier: str = Field(sa_column=Column(String(IDENTIFIER_MAX_LENGTH), nullable=False))
    sender: str = Field(sa_column=Column(String(SENDER_MAX_LENGTH), nullable=False))
    sent: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    msg_type: str = Field(sa_column=Column(String(8), nullable=False))
    # CAP's `references`: "sender,identifier,sent" of each earlier message, space separated.
    cap_references: str | None = Field(default=None, sa_column=Column(Text))
    author_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="RESTRICT"), nullable=False)
    )
    category: str = Field(sa_column=Column(String(16), nullable=False))
    event_vi: str = Field(sa_column=Column(String(EVENT_MAX_LENGTH), nullable=False))
    event_en: str = Field(sa_column=Column(String(EVENT_MAX_LENGTH), nullable=False))
    urgency: str = Field(sa_column=Column(String(16), nullable=False))
    severity: str = Field(sa_column=Column(String(16), nullable=False))
    certainty: str = Field(sa_column=Column(String(16), nullable=False))
    headline_vi: str = Field(sa_column=Column(String(HEADLINE_MAX_LENGTH), nullable=False))
    headline_en: str = Field(sa_column=Column(String(HEADLINE_MAX_LENGTH), nullable=False))
    description_vi: str = Field(sa_column=Column(Text, nullable=False))
    description_en: str = Field(sa_column=Column(Text, nullable=False))
    instruction_vi: str = Field(sa_column=Column(Text, nullable=False))
    instruction_en: str = Field(sa_column=Column(Text, nullable=False))
    onset: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    area_desc_vi: str = Field(sa_column=Column(Text, nullable=False))
    area_desc_en: str = Field(sa_column=Column(Text, nullable=False))
    # The wards the officer chose (their boundaries are the CAP polygons, their codes the geocodes).
    ward_codes: list[str] = Field(sa_column=Column(ARRAY(String(5)), nullable=False))
    # Those and the wards the polygon covers in part: who is told.
    affected_ward_codes: list[str] = Field(sa_column=Column(ARRAY(String(5)), nullable=False))
    polygon: Any = Field(default=None, sa_column=Column(Geometry("POLYGON", srid=4326, spatial_index=False)))
    alarm_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID(as_uuid=True), ForeignKey("alarms.id", ondelete="SET NULL"), index=True),
    )
    # The incident the warning is about; shown as CAP's `incidents`.
    incident_id: uuid.UUID | None = Field(default=None, sa_column=Column(UUID(as_uuid=True)))
    cap_xml: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = timestamp_now()
