"""Request and response models of the alarm routes, the units' alert settings and the alert preferences.
Unknown fields in a body are refused."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from feedback.reports.input_types import NoNulStr
from ioc.alarms.models import COMMENT_MAX_LENGTH
from ioc.rules.definition import ALARM_TYPE_PATTERN
from ioc.types import AlarmStatus, Severity
from mobile_contract.events import LatLon

AlarmType = Annotated[str, StringConstraints(pattern=ALARM_TYPE_PATTERN)]
# "HH:MM", 00:00 to 23:59.
LOCAL_TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
LocalTime = Annotated[str, StringConstraints(pattern=LOCAL_TIME_PATTERN)]
REMINDER_MIN_SECONDS = 60
REMINDER_MAX_SECONDS = 86_400
MAX_PREFERRED_TYPES = 50
Comment = Annotated[NoNulStr, StringConstraints(min_length=1, max_length=COMMENT_MAX_LENGTH, pattern=r"\S")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AlarmRead(BaseModel):
    """An alarm as it stands. Times are UTC; `location` is the source's point, when it has one."""

    id: uuid.UUID
    rule_id: uuid.UUID | None
    rule_version: int | None
    source_kind: str
    source_key: str
    device_id: uuid.UUID | None
    unit_code: str
    location: LatLon | None
    type: str
    severity: Severity
    status: AlarmStatus
    title_vi: str
    title_en: str
    details: dict[str, Any]
    count: int
    raised_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: uuid.UUID | None
    cleared_at: datetime | None
    cleared_by: uuid.UUID | None
    clear_reason: str | None = Field(description="rule, officer or resolved (by the field staff who went).")
    assignee_id: uuid.UUID | None
    remind_at: datetime | None = Field(description="When the next reminder is due while unacknowledged.")
    updated_at: datetime

    @classmethod
    def of_row(cls, row: Any) -> AlarmRead:
        values = dict(row._mapping)
        lat, lon = values.pop("lat"), values.pop("lon")
        location = None if lat is None or lon is None else LatLon(lat=lat, lon=lon)
        return cls.model_validate({**values, "location": location})


class AlarmTimelineEntry(BaseModel):
    id: int
    kind: str = Field(
        description="raised, repeated, severity_changed, acknowledged, assigned, commented, cleared, "
        "reminded, dispatch_offered, dispatch_declined, dispatch_accepted, dispatch_escalated, progress, "
        "incident_linked, incident_unlinked; more may come."
    )
    at: datetime
    actor_id: uuid.UUID | None = Field(description="Who did it; null for the rules and the system.")
    actor_name: str | None = Field(description="The staff member's display name.")
    severity: Severity | None = Field(description="The alarm's severity after the change.")
    status: AlarmStatus | None = Field(description="The alarm's status after the change.")
    comment: str | None
    detail: dict[str, Any]


class AlarmDetail(AlarmRead):
    timeline: list[AlarmTimelineEntry] = Field(description="Oldest first; the newest entries when truncated.")
    timeline_truncated: bool = Field(description="True when older entries were left out.")


class AlarmPage(BaseModel):
    items: list[AlarmRead]
    next_cursor: str | None


class AlarmCommentBody(_Body):
    text: Comment = Field(description="1 to 2000 characters.")


class AlarmActionBody(_Body):
    """Acknowledge or clear: an optional comment for the timeline."""

    comment: Comment | None = None


class AlarmAssignBody(_Body):
    assignee_id: uuid.UUID = Field(
        description="An officer or field staff member of a unit covering the alarm."
    )
    comment: Comment | None = None


class UnitAlertSettingsWrite(_Body):
    push_min_severity: Severity = Field(description="From this severity the unit's officers get a push.")
    dispatch_min_severity: Severity = Field(description="From this severity field staff are dispatched.")
    reminder_seconds: dict[
        Severity, Annotated[int, Field(ge=REMINDER_MIN_SECONDS, le=REMINDER_MAX_SECONDS)]
    ] = Field(
        description="Seconds between reminders of an unacknowledged alarm, per severity (60 to 86400); a "
        "severity left out never reminds.",
        examples=[{"critical": 300, "major": 900}],
    )


class UnitAlertSettingsRead(BaseModel):
    unit_code: str
    push_min_severity: Severity
    dispatch_min_severity: Severity
    reminder_seconds: dict[Severity, int]
    source: Literal["unit", "province", "defaults"] = Field(
        description="unit: its own settings; province: a ward following its province's; defaults: neither "
        "has any, the deployment's defaults apply."
    )


class AlertPreferencesWrite(_Body):
    alarm_types: list[AlarmType] | None = Field(
        default=None,
        max_length=MAX_PREFERRED_TYPES,
        description="Only these alarm types reach the phone (critical ones always do); null: every type.",
    )
    min_severity: Severity = Field(
        default=Severity.INDETERMINATE,
        description="From this severity (critical ones always reach the phone).",
    )
    quiet_start: LocalTime | None = Field(
        default=None, description="Quiet hours start, HH:MM in Asia/Ho_Chi_Minh; with quiet_end or neither."
    )
    quiet_end: LocalTime | None = Field(
        default=None, description="Quiet hours end (excluded), HH:MM; the window may run over midnight."
    )

    @field_validator("alarm_types")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("alarm types must be distinct")
        return value

    @model_validator(mode="after")
    def _both_ends(self) -> AlertPreferencesWrite:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("give both quiet_start and quiet_end, or neither")
        if self.quiet_start is not None and self.quiet_start == self.quiet_end:
            raise ValueError("quiet hours must not start and end at the same minute")
        return self


class AlertPreferencesRead(BaseModel):
    alarm_types: list[str] | None
    min_severity: Severity
    quiet_start: str | None
    quiet_end: str | None
    time_zone: Literal["Asia/Ho_Chi_Minh"] = "Asia/Ho_Chi_Minh"


def parse_local_time(value: str | None) -> time | None:
    return None if value is None else time.fromisoformat(value)


def format_local_time(value: time | None) -> str | None:
    return None if value is None else value.strftime("%H:%M")
