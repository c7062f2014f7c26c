"""What the incident routes take and answer, and the `incident` of every alerts.incident_* event."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ioc.incidents.types import IncidentCloseReason, IncidentStatus, MemberKind, MemberRef
from ioc.types import AlarmStatus, Severity
from mobile_contract.events import LatLon

MAX_MEMBERS_AT_ONCE = 50

STRICT = ConfigDict(extra="forbid")


class Footprint(BaseModel):
    """A GeoJSON Polygon (lon, lat): the members' convex hull, widened by a few tens of metres."""

    type: Literal["Polygon"]
    coordinates: list[list[list[float]]]


def _point(row: Any) -> LatLon | None:
    return None if row.lat is None or row.lon is None else LatLon(lat=row.lat, lon=row.lon)


class IncidentSummary(BaseModel):
    id: uuid.UUID
    code: str = Field(examples=["SC-2026-000042"])
    status: IncidentStatus
    unit_code: str = Field(description="The smallest unit covering every member.")
    severity: Severity = Field(description="The lead alarm's; indeterminate when no alarm is a member.")
    lead_alarm_id: uuid.UUID | None = Field(
        description="The most severe alarm, active ones first, then the oldest."
    )
    title_vi: str
    title_en: str
    alarm_count: int
    report_count: int
    first_seen_at: datetime
    last_seen_at: datetime
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    close_reason: IncidentCloseReason | None = Field(
        description="resolved (every alarm cleared, every report done), officer, or empty (no member left)."
    )
    location: LatLon | None = Field(description="A point inside the footprint, for a marker.")
    footprint: Footprint | None

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            id=row.id,
            code=row.code,
            status=IncidentStatus(row.status),
            unit_code=row.unit_code,
            severity=Severity(row.severity),
            lead_alarm_id=row.lead_alarm_id,
            title_vi=row.title_vi,
            title_en=row.title_en,
            alarm_count=row.alarm_count,
            report_count=row.report_count,
            first_seen_at=row.first_seen_at,
            last_seen_at=row.last_seen_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            closed_at=row.closed_at,
            close_reason=None if row.close_reason is None else IncidentCloseReason(row.close_reason),
            location=_point(row),
            footprint=None if row.footprint is None else Footprint.model_validate(json.loads(row.footprint)),
        )


class Membership(BaseModel):
    linked_at: datetime
    linked_by: uuid.UUID | None = Field(description="Who linked it by hand; null when the rules did.")


class IncidentAlarm(Membership):
    id: uuid.UUID
    type: str
    severity: Severity
    status: AlarmStatus
    title_vi: str
    title_en: str
    unit_code: str
    raised_at: datetime
    last_seen_at: datetime
    cleared_at: datetime | None
    location: LatLon | None

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            id=row.id,
            type=row.type,
            severity=Severity(row.severity),
            status=AlarmStatus(row.status),
            title_vi=row.title_vi,
            title_en=row.title_en,
            unit_code=row.unit_code,
            raised_at=row.raised_at,
            last_seen_at=row.last_seen_at,
            cleared_at=row.cleared_at,
            location=_point(row),
            linked_at=row.linked_at,
            linked_by=row.linked_by,
        )


class IncidentReport(Membership):
    """A member report: what, where and how far along; never who reported it."""

    id: uuid.UUID
    code: str
    category_code: str
    status: str
    unit_code: str
    created_at: datetime
    location: LatLon | None

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            id=row.id,
            code=row.code,
            category_code=row.category_code,
            status=row.status,
            unit_code=row.unit_code,
            created_at=row.created_at,
            location=_point(row),
            linked_at=row.linked_at,
            linked_by=row.linked_by,
        )


class IncidentDetail(IncidentSummary):
    alarms: list[IncidentAlarm]
    reports: list[IncidentReport]


class IncidentPage(BaseModel):
    items: list[IncidentSummary]
    next_cursor: str | None = None


class MemberIn(BaseModel):
    model_config = STRICT

    kind: MemberKind
    id: uuid.UUID

    def ref(self) -> MemberRef:
        return MemberRef(self.kind, self.id)


class LinkIn(MemberIn):
    move: bool = Field(
        default=False,
        description="Take it out of the open incident it is in (otherwise 409 linked_elsewhere).",
    )


class IncidentCreate(BaseModel):
    model_config = STRICT

    members: list[MemberIn] = Field(min_length=1, max_length=MAX_MEMBERS_AT_ONCE)
    move: bool = Field(
        default=False, description="Take members out of the open incidents they are in (otherwise 409)."
    )

    @model_validator(mode="after")
    def _each_once(self) -> Self:
        refs = [member.ref() for member in self.members]
        if len(set(refs)) != len(refs):
            raise ValueError("each member at most once")
        return self
