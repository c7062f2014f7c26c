"""What the API answers about a report, in three shapes: public, the reporter's, and staff's.

The public shape is built from a separate model rather than by hiding fields of the others, so that adding
a field to the staff shape can never leak it to the public by accident.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from feedback.reports.status import CloseReason, Rating, ReportStatus, SlaState, TimelineKind
from mobile_contract.events import LatLon

REPORT_CODE_EXAMPLE = "PA-2026-000123"


class PhotoRead(BaseModel):
    """A sanitised photo (no EXIF, no GPS) and its thumbnail."""

    id: uuid.UUID
    url: str = Field(description="Path of the full photo, relative to the API's origin.")
    thumbnail_url: str = Field(description="Path of a JPEG thumbnail, relative to the API's origin.")
    content_type: str
    width: int
    height: int


class TimelineEntryRead(BaseModel):
    """One step of the report's history. Who did it is given as a role, never as a person."""

    at: AwareDatetime
    kind: TimelineKind
    from_status: ReportStatus | None
    to_status: ReportStatus | None
    actor_role: str = Field(description="citizen, officer, field_staff, admin, system or integration.")
    note: str | None = Field(description="The reason or answer given with the change, when there is one.")
    data: dict[str, Any] = Field(description="Kind-specific facts, e.g. the old and new deadline.")


class PublicReportRead(BaseModel):
    """A report as anyone sees it: never the reporter's name, phone or account, nor their answers."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "5b0b7f4e-8d38-4c8f-9a43-2d5c4b6f7a10",
                    "code": REPORT_CODE_EXAMPLE,
                    "category_code": "road_damage",
                    "description": "Ổ gà lớn trước số 12",
                    "location": {"lat": 20.43, "lon": 106.17},
                    "address": "12 Trần Hưng Đạo",
                    "ward_code": "13666",
                    "status": "in_progress",
                    "status_notes": None,
                    "urgent": False,
                    "created_at": "2026-11-20T02:00:00Z",
                    "updated_at": "2026-11-20T03:00:00Z",
                    "resolve_due_at": "2026-11-27T10:30:00Z",
                    "resolved_at": None,
                    "resolution": None,
                    "support_count": 3,
                    "follower_count": 5,
                    "merged_into_code": None,
                    "photos": [],
                    "proof_photos": [],
                }
            ]
        }
    )

    id: uuid.UUID
    code: str = Field(examples=[REPORT_CODE_EXAMPLE])
    category_code: str
    description: str
    location: LatLon
    address: str | None
    ward_code: str | None
    status: ReportStatus
    status_notes: str | None = Field(description="The latest public note: reject reason, answer, ...")
    urgent: bool
    created_at: AwareDatetime
    updated_at: AwareDatetime
    resolve_due_at: AwareDatetime
    resolved_at: AwareDatetime | None
    resolution: str | None = Field(description="The public answer given when the problem was fixed.")
    support_count: int = Field(description='How many citizens said "me too".')
    follower_count: int
    merged_into_code: str | None = Field(description="The report this one was merged into, if any.")
    photos: list[PhotoRead]
    proof_photos: list[PhotoRead] = Field(description="Photos of the fix, added on resolution.")


class ReportRead(PublicReportRead):
    """A report as its reporter sees it: everything public, plus their own choices and the full timeline."""

    answers: dict[str, Any]
    anonymous: bool
    is_public: bool
    province_code: str
    unit_code: str = Field(description="The unit responsible for the report (a ward, or the province).")
    department_code: str
    sla_state: SlaState
    acknowledge_due_at: AwareDatetime
    acknowledged_at: AwareDatetime | None
    deadline_extended_at: AwareDatetime | None
    closed_at: AwareDatetime | None
    close_reason: CloseReason | None
    rating: Rating | None
    rating_comment: str | None
    rated_at: AwareDatetime | None
    reopen_count: int
    supported: bool = Field(description='Whether the caller said "me too" on it.')
    following: bool = Field(description="Whether the caller follows it.")
    timeline: list[TimelineEntryRead]


class ReporterRead(BaseModel):
    """Who filed a report, for staff only. Anonymous reports hide this from the public, not from staff."""

    user_id: uuid.UUID | None
    display_name: str | None
    phone: str | None
    # What an Open311 client sent about its user (email, first_name, last_name, phone).
    contact: dict[str, Any] | None


class StaffReportRead(ReportRead):
    """A report as staff of its unit see it."""

    reporter: ReporterRead
    assignee_id: uuid.UUID | None
    source: str
    open311_token: str | None


class ReportSummary(BaseModel):
    """One line of a list (public feed, own reports, inbox). Public lists never carry the reporter."""

    id: uuid.UUID
    code: str = Field(examples=[REPORT_CODE_EXAMPLE])
    category_code: str
    description: str = Field(description="The first 200 characters of the description.")
    location: LatLon
    address: str | None
    ward_code: str | None
    status: ReportStatus
    urgent: bool
    created_at: datetime
    resolve_due_at: datetime
    support_count: int
    thumbnail_url: str | None = Field(description="The first photo's thumbnail, if any.")
