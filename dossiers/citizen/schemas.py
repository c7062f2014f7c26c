"""What a citizen sends and sees about a dossier.

The view is built from its own models rather than from the dossier row with fields hidden, so that a column
added to the row can never reach a citizen by accident: no phone, no ID number or hash, no officer's name, and
the applicant's name masked (anyone with a code and four digits sees this view).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from dossiers.deadlines import OnTime
from dossiers.models import AGENCY_CODE_PATTERN, DOSSIER_CODE_MAX_LENGTH
from dossiers.types import Channel, Rating

# {agency code}-{YYMMDD}-{NNNN}: the agency code's pattern without its anchors, the receipt's date and its
# number of the day.
DOSSIER_CODE_PATTERN = rf"^{AGENCY_CODE_PATTERN[1:-1]}-[0-9]{{6}}-[0-9]{{4,}}$"
DOSSIER_CODE_EXAMPLE = "000.00.22.H56-250424-0001"
COMMENT_MAX_LENGTH = 1000


def _typed_code(value: object) -> object:
    # People copy codes from a receipt with spaces around them, or type them in lower case.
    return value.strip().upper() if isinstance(value, str) else value


DossierCode = Annotated[
    str,
    BeforeValidator(_typed_code),
    Field(
        min_length=13,
        max_length=DOSSIER_CODE_MAX_LENGTH,
        pattern=DOSSIER_CODE_PATTERN,
        description="The code on the receipt: {agency code}-{YYMMDD}-{NNNN}.",
        examples=[DOSSIER_CODE_EXAMPLE],
    ),
]
Factor = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4}$",
        description="The last 4 digits of the applicant's phone number or of her ID number.",
        examples=["5678"],
    ),
]


class Texts(BaseModel):
    """A text in Vietnamese and in English."""

    vi: str
    en: str


class ProcedureRef(BaseModel):
    code: str = Field(examples=["1.003560.000.00.00.H56"])
    name: Texts


class AgencyRef(BaseModel):
    code: str
    name: Texts


class StatusRead(BaseModel):
    """A national status code (1 submitted online ... 10 result returned) and its name."""

    code: int = Field(ge=1, le=10)
    name: Texts


class StepRead(BaseModel):
    """One step of the timeline meant for the applicant (internal hand-overs are left out). The office is
    named, never the officer."""

    status: StatusRead
    at: AwareDatetime
    unit_name: str
    comment: str | None


class ApologyRead(BaseModel):
    """A letter of apology for the delay, with the new date promised."""

    reason: Texts
    new_due_at: AwareDatetime
    issued_at: AwareDatetime


class DocumentToBring(BaseModel):
    name: Texts


class NextAction(BaseModel):
    """What the applicant must do now: bring documents (status 5), pay a fee (6), collect the result (9)."""

    kind: Literal["bring_documents", "pay_fee", "collect_result"]
    text: Texts = Field(description="One sentence saying what to do, where and what.")
    documents: list[DocumentToBring] = Field(description="The documents asked for (bring_documents).")
    fee_vnd: int | None = Field(description="The amount to pay, in đồng (pay_fee), when known.")
    note: Texts | None = Field(description="The agency's own words, when it gave any.")


class DossierView(BaseModel):
    """A dossier as the applicant sees it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "code": DOSSIER_CODE_EXAMPLE,
                    "procedure": {
                        "code": "1.001612.000.00.00.H56",
                        "name": {
                            "vi": "Đăng ký thành lập hộ kinh doanh",
                            "en": "Registering a household business",
                        },
                    },
                    "agency": {
                        "code": "000.00.22.H56",
                        "name": {"vi": "UBND phường Nam Định", "en": "Nam Dinh ward people's committee"},
                    },
                    "applicant_name": "Nguyễn V. A.",
                    "channel": "in_person",
                    "status": {"code": 4, "name": {"vi": "Đang xử lý", "en": "In process"}},
                    "received_at": "2025-04-24T02:00:00Z",
                    "due_at": "2025-04-28T02:00:00Z",
                    "original_due_at": "2025-04-28T02:00:00Z",
                    "finished_at": None,
                    "returned_at": None,
                    "on_time": "within_deadline",
                    "clock_stopped": False,
                    "timeline": [
                        {
                            "status": {"code": 2, "name": {"vi": "Đã tiếp nhận", "en": "Accepted"}},
                            "at": "2025-04-24T02:00:00Z",
                            "unit_name": "Bộ phận một cửa",
                            "comment": None,
                        }
                    ],
                    "apologies": [],
                    "next_action": None,
                }
            ]
        }
    )

    code: str
    procedure: ProcedureRef
    agency: AgencyRef
    applicant_name: str = Field(description='Masked: the first word whole, then initials ("Nguyễn V. A.").')
    channel: Channel
    status: StatusRead
    received_at: AwareDatetime
    due_at: AwareDatetime | None = Field(
        description="When the result is due now (the new date of an apology, if any); null while the clock "
        "is stopped for more documents."
    )
    original_due_at: AwareDatetime | None = Field(
        description="The first due date; on time or late is judged against it, whatever an apology promised."
    )
    finished_at: AwareDatetime | None
    returned_at: AwareDatetime | None
    on_time: OnTime | None = Field(
        description="early, on_time or late once finished; within_deadline, due_soon or overdue while open; "
        "null while the clock is stopped."
    )
    clock_stopped: bool = Field(description="The deadline is paused while more documents are awaited.")
    timeline: list[StepRead] = Field(description="Oldest first.")
    apologies: list[ApologyRead] = Field(description="Oldest first.")
    next_action: NextAction | None


class RatingRead(BaseModel):
    rating: Rating
    comment: str | None
    created_at: AwareDatetime


class MyDossierView(DossierView):
    """A dossier of the signed-in citizen (filed under her phone or ID number, or followed)."""

    linked: bool = Field(description="Filed under her verified phone or her ID number.")
    following: bool
    rating: RatingRead | None = Field(description="Her rating, once the result was returned and she rated.")


class MyDossierSummary(BaseModel):
    """One line of her list."""

    code: str
    procedure: ProcedureRef
    status: StatusRead
    received_at: AwareDatetime
    due_at: AwareDatetime | None
    finished_at: AwareDatetime | None
    on_time: OnTime | None
    linked: bool
    following: bool


class MyDossierPage(BaseModel):
    """One page of her dossiers, newest received first."""

    items: list[MyDossierSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class LookupBody(BaseModel):
    """A code and its second factor. Sent in a body, so that neither ends up in URLs or access logs."""

    model_config = ConfigDict(extra="forbid")

    code: DossierCode
    factor: Factor


class FollowBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: DossierCode
    factor: Factor | None = Field(
        default=None, description="Needed unless the dossier was filed under her phone or ID number."
    )


class RatingBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Rating
    comment: str | None = Field(default=None, max_length=COMMENT_MAX_LENGTH)
