"""Incidents and their members.

An incident joins alarms and citizen reports that are close in space and time, so the map shows one thing
instead of twelve. Its lead, severity, unit, footprint and times are derived from its members and
recomputed on every change (ioc.incidents.repository.changes). A membership row is never deleted:
unlinking stamps it, so the incident's history stays readable, and a thing an officer took out of an
incident is never linked again automatically.

An alarm or a report is in at most one open incident: a partial unique index over the live memberships
of open incidents (`incident_open` is cleared on every membership when the incident closes, so a closed
incident keeps its members without holding them).
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
    Identity,
    Index,
    Integer,
    Sequence,
    String,
    text,
)
from sqlalchemy.dialects.postgresql import UUID
from sqlmodel import Field, SQLModel

from core.db import timestamp_now, uuid_primary_key
from ioc.alarms.models import TITLE_MAX_LENGTH
from ioc.incidents.types import IncidentCloseReason, IncidentStatus, MemberKind
from ioc.types import Severity
from iot.types import one_of

# SC-2026-000123: "sự cố", the year it was opened (Vietnamese time), and a number that never repeats.
INCIDENT_CODE_PATTERN = r"^SC-[0-9]{4}-[0-9]{6,}$"

incident_number_seq = Sequence("ioc_incident_number_seq", metadata=SQLModel.metadata)


def _user(*, nullable: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(UUID(as_uuid=True), ForeignKey("users.id", ondelete="SET NULL"), nullable=nullable),
    )


class Incident(SQLModel, table=True):
    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(one_of("status", IncidentStatus), name="status_known"),
        CheckConstraint(one_of("severity", Severity), name="severity_known"),
        CheckConstraint(
            f"close_reason IS NULL OR {one_of('close_reason', IncidentCloseReason)}",
            name="close_reason_known",
        ),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_at_matches_status"),
        CheckConstraint(f"code ~ '{INCIDENT_CODE_PATTERN}'", name="code_format"),
        CheckConstraint("alarm_count >= 0 AND report_count >= 0", name="counts_not_negative"),
        # The lists: newest first, within units, with a (created_at, id) cursor.
        Index("ix_incidents_unit_created", "unit_code", "created_at", "id"),
        Index("ix_incidents_created", "created_at", "id"),
        # The sweep that closes finished incidents looks at open ones only.
        Index("ix_incidents_open", "id", postgresql_where=text("status = 'open'")),
        Index("ix_incidents_footprint", "footprint", postgresql_using="gist"),
    )

    id: uuid.UUID = uuid_primary_key()
    code: str = Field(sa_column=Column(String(24), nullable=False, unique=True))
    # The smallest unit covering every member: theirs when they share one, else their province.
    unit_code: str = Field(
        sa_column=Column(String(5), ForeignKey("admin_units.code", ondelete="RESTRICT"), nullable=False)
    )
    status: str = Field(
        default=IncidentStatus.OPEN.value,
        sa_column=Column(String(8), nullable=False, server_default=IncidentStatus.OPEN.value),
    )
    # The most severe alarm (active ones first), then the oldest; null when no alarm is a member.
    lead_alarm_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(UUID(as_uuid=True), ForeignKey("alarms.id", ondelete="SET NULL")),
    )
    # The lead's; indeterminate for an incident of reports only.
    severity: str = Field(sa_column=Column(String(16), nullable=False))
    title_vi: str = Field(sa_column=Column(String(TITLE_MAX_LENGTH), nullable=False))
    title_en: str = Field(sa_column=Column(String(TITLE_MAX_LENGTH), nullable=False))
    # The convex hull of the members' points, buffered; null when no member has a place.
    footprint: Any = Field(
        default=None, sa_column=Column(Geometry("POLYGON", srid=4326, spatial_index=False))
    )
    alarm_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    report_count: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default=text("0")))
    first_seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime = timestamp_now()
    updated_at: datetime = timestamp_now()
    # Null: made by the linking rules.
    created_by: uuid.UUID | None = _user()
    closed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    closed_by: uuid.UUID | None = _user()
    close_reason: str | None = Field(default=None, sa_column=Column(String(16)))


class IncidentMember(SQLModel, table=True):
    __tablename__ = "incident_members"
    __table_args__ = (
        CheckConstraint(one_of("member_kind", MemberKind), name="member_kind_known"),
        CheckConstraint("unlinked_at IS NULL OR unlinked_at >= linked_at", name="unlinked_after_linked"),
        # An alarm or a report is in at most one open incident.
        Index(
            "uq_incident_members_open",
            "member_kind",
            "member_id",
            unique=True,
            postgresql_where=text("unlinked_at IS NULL AND incident_open"),
        ),
        # An incident's live members.
        Index("ix_incident_members_incident", "incident_id", postgresql_where=text("unlinked_at IS NULL")),
        # Things an officer took out of an incident (never linked again automatically).
        Index(
            "ix_incident_members_unlinked",
            "member_kind",
            "member_id",
            postgresql_where=text("unlinked_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(
        default=None, sa_column=Column(BigInteger, Identity(always=False), primary_key=True)
    )
    incident_id: uuid.UUID = Field(
        sa_column=Column(UUID(as_uuid=True), ForeignKey("incidents.id", ondelete="CASCADE"), nullable=False)
    )
    # An alarm's or a report's id: no foreign key, since it names one of two tables; neither is ever
    # deleted while it matters (alarms stay, reports are public records).
    member_kind: str = Field(sa_column=Column(String(8), nullable=False))
    member_id: uuid.UUID = Field(sa_column=Column(UUID(as_uuid=True), nullable=False))
    linked_at: datetime = timestamp_now()
    # Null: linked by the rules.
    linked_by: uuid.UUID | None = _user()
    unlinked_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    unlinked_by: uuid.UUID | None = _user()
    incident_open: bool = Field(
        default=True, sa_column=Column(Boolean, nullable=False, server_default=text("true"))
    )
