"""What the dispatch routes take and answer: field status, offers, progress notes and their photos."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from ioc.dispatch.models import (
    MAX_PHOTOS,
    NOTE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    DispatchStatus,
    OfferAnswer,
    ProgressKind,
)
from ioc.types import Severity

# A phone's clock may run a little ahead of the server's; beyond this a recorded_at is in the future.
CLOCK_SKEW = timedelta(seconds=30)
NEXT_CURSOR_DESCRIPTION = "Pass as `cursor` to get the next page; null on the last page."

Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False, examples=[20.4316])]
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False, examples=[106.1711])]
Accuracy = Annotated[float, Field(ge=0, le=5000, allow_inf_nan=False, description="Metres.", examples=[12])]
Note = Annotated[str, Field(min_length=1, max_length=NOTE_MAX_LENGTH)]
PhotoIds = Annotated[
    list[uuid.UUID],
    Field(max_length=MAX_PHOTOS, description="Ids from POST /api/v1/dispatch/photos, in the order to show."),
]


class FieldStatusUpdate(BaseModel):
    """On duty: where the phone is. Off duty: nothing else is needed, and no position is kept."""

    model_config = ConfigDict(extra="forbid")

    on_duty: bool
    lat: Latitude | None = None
    lon: Longitude | None = None
    accuracy_m: Accuracy | None = None
    recorded_at: AwareDatetime | None = Field(
        default=None, description="When the phone took the position (default: when it arrives)."
    )

    @model_validator(mode="after")
    def _position_when_on_duty(self) -> Self:
        if self.on_duty and (self.lat is None or self.lon is None or self.accuracy_m is None):
            raise ValueError("on duty, lat, lon and accuracy_m are required")
        if self.recorded_at is not None and self.recorded_at > datetime.now(UTC) + CLOCK_SKEW:
            raise ValueError("recorded_at is in the future")
        return self


class FieldStatusRead(BaseModel):
    on_duty: bool = Field(description="False too when the last position is older than the position TTL.")
    available: bool = Field(description="On duty and not busy with an accepted dispatch.")
    lat: float | None
    lon: float | None
    accuracy_m: float | None
    recorded_at: AwareDatetime | None = Field(description="When the position kept was taken.")
    updated_at: AwareDatetime | None = Field(description="When the worker last reported; null: never.")


class FieldStaffMember(FieldStatusRead):
    user_id: uuid.UUID
    display_name: str | None
    unit_code: str


class FieldStaffPage(BaseModel):
    items: list[FieldStaffMember]
    next_cursor: str | None = Field(description=NEXT_CURSOR_DESCRIPTION)


class Decline(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, min_length=1, max_length=REASON_MAX_LENGTH)


class OfferRead(BaseModel):
    id: uuid.UUID
    alarm_id: uuid.UUID
    staff_id: uuid.UUID
    ring: int
    distance_m: float
    offered_at: AwareDatetime
    answer: OfferAnswer | None
    answered_at: AwareDatetime | None


class DispatchRead(BaseModel):
    id: uuid.UUID
    alarm_id: uuid.UUID
    status: DispatchStatus
    ring: int = Field(description="The last ring offered (0: nobody yet).")
    opened_at: AwareDatetime
    closed_at: AwareDatetime | None
    accepted_by: uuid.UUID | None
    offers: list[OfferRead]


class AlarmBrief(BaseModel):
    """The alarm an offer is about, as a field worker's phone lists it."""

    id: uuid.UUID
    type: str
    severity: Severity
    title_vi: str
    title_en: str
    unit_code: str
    lat: float | None
    lon: float | None
    raised_at: AwareDatetime


class MyOffer(OfferRead):
    alarm: AlarmBrief


class AcceptRead(BaseModel):
    alarm_id: uuid.UUID
    assignee_id: uuid.UUID
    offer: OfferRead


class FieldPhotoRead(BaseModel):
    id: uuid.UUID
    url: str = Field(description="Signed URL, valid for one to two hours.")
    thumbnail_url: str
    content_type: str
    width: int
    height: int


class ProgressUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note
    photo_ids: PhotoIds = Field(default_factory=list)


class Resolution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Note | None = None
    photo_ids: PhotoIds = Field(default_factory=list)


class ProgressRead(BaseModel):
    id: uuid.UUID
    alarm_id: uuid.UUID
    author_id: uuid.UUID | None
    kind: ProgressKind
    note: str | None
    photos: list[FieldPhotoRead]
    created_at: AwareDatetime


class ResolvedRead(BaseModel):
    alarm_id: uuid.UUID
    status: str
    cleared_at: AwareDatetime
    resolution: ProgressRead
