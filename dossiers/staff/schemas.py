"""What officers read of their units' dossiers and send to apologise for a late one.

Staff see the applicant's name and phone (they call her), never the keyed hashes of her ID number.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from core.http.input_types import UtcMoment, no_nul
from dossiers.deadlines import OnTime
from dossiers.types import Channel, Rating, Status

# {agency code}-{YYMMDD}-{NNNN}, e.g. 000.00.22.H56-260424-0012.
DOSSIER_CODE_PATTERN = r"^[A-Z0-9]+(\.[A-Z0-9]+)*-[0-9]{6}-[0-9]{4,}$"
DOSSIER_CODE_EXAMPLE = "000.00.22.H56-260424-0012"
NEXT_CURSOR_DESCRIPTION = "Pass as `cursor` to get the next page; null on the last page."
REASON_MAX_LENGTH = 2000

Reason = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=REASON_MAX_LENGTH),
    AfterValidator(no_nul),
]


class DossierItem(BaseModel):
    """One line of the officers' list."""

    id: uuid.UUID
    code: str = Field(examples=[DOSSIER_CODE_EXAMPLE])
    agency_code: str
    agency_name_vi: str
    procedure_code: str = Field(examples=["1.003560.000.00.00.H56"])
    procedure_name_vi: str
    procedure_name_en: str | None
    unit_code: str
    channel: Channel
    status: Status = Field(description="The national status code, 1 submitted online ... 10 result returned.")
    status_name_vi: str
    status_name_en: str
    received_at: AwareDatetime
    due_at: AwareDatetime | None = Field(description="Null while the clock is stopped for more documents.")
    original_due_at: AwareDatetime | None = Field(
        description="The due date before any apology; the on-time state and the figures use this one."
    )
    finished_at: AwareDatetime | None
    forced_late: bool = Field(description="Counts as late whatever the dates (an apology, a second request).")
    on_time: OnTime = Field(
        description="Now: early, on_time or late once finished; else within_deadline, ..."
    )
    applicant_name: str


class DossierPage(BaseModel):
    items: list[DossierItem]
    next_cursor: str | None = Field(description=NEXT_CURSOR_DESCRIPTION)


class StepRead(BaseModel):
    status: Status
    previous_status: Status | None
    at: AwareDatetime
    unit_name: str
    officer_name: str | None
    comment: str | None
    public: bool = Field(description="False for internal hand-overs, which the applicant does not see.")


class ApologyRead(BaseModel):
    id: uuid.UUID
    reason_vi: str
    reason_en: str | None
    new_due_at: AwareDatetime
    issued_at: AwareDatetime
    source: Literal["agency", "officer"] = Field(
        description="Sent by the agency's system, or written by an officer here."
    )
    agency_code: str | None
    author_name: str | None = Field(description="The officer who wrote it.")


class RatingRead(BaseModel):
    rating: Rating
    comment: str | None
    created_at: AwareDatetime


class StaffDossierRead(DossierItem):
    """Everything about one dossier, for the staff of its unit."""

    agency_name_en: str | None
    deadline_kind: str = Field(examples=["working_days"])
    deadline_amount: Decimal = Field(examples=["3"])
    applicant_phone: str | None
    sms_opt_in: bool
    status_at: AwareDatetime
    paused_at: AwareDatetime | None
    remaining_seconds: int | None
    document_requests: int
    returned_at: AwareDatetime | None
    next_action: dict[str, Any] | None
    created_at: AwareDatetime
    updated_at: AwareDatetime
    steps: list[StepRead] = Field(description="Every step, internal ones included, oldest first.")
    apologies: list[ApologyRead]
    rating: RatingRead | None


class ApologyCreate(BaseModel):
    """A letter of apology for a late dossier, with the new date promised to the applicant."""

    model_config = ConfigDict(extra="forbid")

    reason_vi: Reason
    reason_en: Reason | None = None
    new_due_at: UtcMoment = Field(description="After now and after the current due date.")
