"""What the incident routes take and answer, and the `incident` of every alerts.incident_* event."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from feedback.reports.status import ReportStatus
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
        """From a row of SUMMARY_COLUMNS (ioc.incidents.repository.reads)."""
        footprint = None if row.footprint is None else json.loads(row.footprint)
        return cls.model_validate({**row._mapping, "location": _point(row), "footprint": footprint})


class Membership(BaseModel):
    linked_at: datetime
    linked_by: uuid.UUID | None = Field(description="Who linked it by hand; null when the rules did.")
    location: LatLon | None

    @classmethod
    def from_row(cls, row: Any) -> Self:
        """From a row of the members' reads (ioc.incidents.repository.reads), with its lat and lon."""
        return cls.model_validate({**row._mapping, "location": _point(row)})


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


class IncidentReport(Membership):
    """A member report: what, where and how far along; never who reported it."""

    id: uuid.UUID
    code: str
    category_code: str
    status: ReportStatus
    unit_code: str
    created_at: datetime


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
