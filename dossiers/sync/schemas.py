"""The sync API's request and response models.

A batch is read in two steps: the request model only checks that `items` is a list of 1 to 1,000 entries,
so that one bad item cannot fail the whole request; each item is then validated on its own against
`SyncItem` (`ITEMS`), and a bad one gets a `malformed` result with its errors. The request's schema in the
API description still shows what an item must be.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainValidator, TypeAdapter, model_validator

from core.errors import Message, ProblemError
from core.identity.phones import normalise_phone
from dossiers.keys import normalise_id
from dossiers.models import NAME_MAX_LENGTH, PERSON_NAME_MAX_LENGTH, PROCEDURE_CODE_MAX_LENGTH
from dossiers.types import Channel, Status

MAX_ITEMS = 1000
# Long enough for any well-formed code; a longer text is refused as malformed rather than echoed back.
CODE_FIELD_MAX_LENGTH = 64
TEXT_MAX_LENGTH = 2000
UNIT_CODE_PATTERN = r"^[0-9]{2}([0-9]{3})?$"
MAX_FEE_VND = 10**12

Code = Annotated[
    str,
    Field(
        min_length=1,
        max_length=CODE_FIELD_MAX_LENGTH,
        description="{agency code}-{YYMMDD}-{NNNN}: the agency's code, the local date of receipt, the "
        "receipt's number of the day (4 digits or more).",
        examples=["000.00.22.H56-250424-0012"],
    ),
]


def _phone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalise_phone(value)
    except ProblemError as error:  # as a ValueError, it becomes this item's error
        raise ValueError("a Vietnamese mobile number: 0912345678 or +84912345678") from error


def _id_number(value: str | None) -> str | None:
    return None if value is None else normalise_id(value)


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=PERSON_NAME_MAX_LENGTH)
    phone: Annotated[str | None, PlainValidator(_phone, json_schema_input_type=str | None)] = Field(
        default=None, description="A Vietnamese mobile number; stored as E.164.", examples=["0912345678"]
    )
    id_number: Annotated[str | None, PlainValidator(_id_number, json_schema_input_type=str | None)] = Field(
        default=None,
        description="The national ID number (9 or 12 digits). Kept only as a keyed hash, never in clear.",
        examples=["079099123456"],
    )


class DossierItem(BaseModel):
    """A dossier as the agency holds it: created when new, its descriptive fields updated otherwise (never
    its status, its receipt time or its deadline: those follow its steps)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["dossier"]
    code: Code
    procedure_code: str = Field(
        min_length=1, max_length=PROCEDURE_CODE_MAX_LENGTH, examples=["1.001612.000.00.00.H56"]
    )
    channel: Channel
    received_at: AwareDatetime
    status: Literal[1, 2] = Field(description="1 submitted online (not yet accepted), 2 accepted.")
    applicant: Applicant
    sms_opt_in: bool = False
    unit_code: str | None = Field(
        default=None,
        pattern=UNIT_CODE_PATTERN,
        description="Where it was received; the agency's unit if null.",
    )
    fee_vnd: int | None = Field(default=None, ge=0, le=MAX_FEE_VND)


class NextDocument(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_vi: str = Field(min_length=1, max_length=NAME_MAX_LENGTH)
    name_en: str | None = Field(default=None, max_length=NAME_MAX_LENGTH)
    copies: int = Field(default=1, ge=1, le=100)
    original: bool = False


class NextAction(BaseModel):
    """What the applicant must do: the documents to bring (status 5), the fee to pay (status 6)."""

    model_config = ConfigDict(extra="forbid")

    documents: list[NextDocument] = Field(default_factory=list, max_length=50)
    fee_vnd: int | None = Field(default=None, ge=0, le=MAX_FEE_VND)
    note_vi: str | None = Field(default=None, max_length=TEXT_MAX_LENGTH)
    note_en: str | None = Field(default=None, max_length=TEXT_MAX_LENGTH)


class StatusItem(BaseModel):
    """A status change (a step of the timeline). (code, at, status) names it: the same one twice is one."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["status"]
    code: Code
    status: Status
    at: AwareDatetime
    unit_name: str = Field(min_length=1, max_length=NAME_MAX_LENGTH, examples=["Phòng Hộ tịch"])
    officer_name: str | None = Field(default=None, max_length=PERSON_NAME_MAX_LENGTH)
    comment: str | None = Field(default=None, max_length=TEXT_MAX_LENGTH)
    public: bool = Field(
        default=True, description="False for internal hand-overs the applicant does not see."
    )
    next_action: NextAction | None = Field(default=None, description="Only with status 5 or 6.")

    @model_validator(mode="after")
    def _next_action_for_requests(self) -> Self:
        if self.next_action is not None and self.status not in (Status.MORE_DOCUMENTS, Status.FEE_DUE):
            raise ValueError("next_action goes only with status 5 (more documents) or 6 (fee due)")
        return self


class ApologyItem(BaseModel):
    """A letter of apology for a late dossier, with the new date promised. (code, issued_at) names it."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["apology"]
    code: Code
    reason_vi: str = Field(min_length=1, max_length=TEXT_MAX_LENGTH)
    reason_en: str | None = Field(default=None, min_length=1, max_length=TEXT_MAX_LENGTH)
    new_due_at: AwareDatetime
    issued_at: AwareDatetime

    @model_validator(mode="after")
    def _new_date_after_issue(self) -> Self:
        if self.new_due_at <= self.issued_at:
            raise ValueError("new_due_at must come after issued_at")
        return self


SyncItem = Annotated[DossierItem | StatusItem | ApologyItem, Field(discriminator="type")]
# Built once: validating an item is then a call into pydantic's core, with no schema work per request.
ITEMS: TypeAdapter[list[SyncItem]] = TypeAdapter(list[SyncItem])
ITEM: TypeAdapter[SyncItem] = TypeAdapter(SyncItem)


def _as_received(value: Any) -> Any:
    return value


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Taken as they come (see the module's docstring); documented as SyncItem.
    items: list[Annotated[Any, PlainValidator(_as_received, json_schema_input_type=SyncItem)]] = Field(
        min_length=1, max_length=MAX_ITEMS
    )


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # already applied: a repeat
    STALE = "stale"  # older than the dossier's current status: not applied
    REJECTED = "rejected"


class Reason(StrEnum):
    """Why an item was rejected. Stable codes: agencies' systems act on them."""

    MALFORMED = "malformed"
    BAD_CODE = "bad_code"
    OTHER_AGENCY = "other_agency"
    UNKNOWN_PROCEDURE = "unknown_procedure"
    UNKNOWN_DOSSIER = "unknown_dossier"
    UNKNOWN_UNIT = "unknown_unit"
    ILLEGAL_TRANSITION = "illegal_transition"
    IN_FUTURE = "in_future"
    BEFORE_RECEIPT = "before_receipt"
    NOT_LATE = "not_late"


class Detail(BaseModel):
    vi: str
    en: str

    @classmethod
    def of(cls, message: Message) -> Detail:
        return cls(vi=message.vi, en=message.en)


class ItemError(BaseModel):
    location: list[str | int]
    type: str
    message: str


class ItemResult(BaseModel):
    index: int = Field(description="The item's position in `items`, from 0.")
    code: str | None = Field(default=None, description="The item's dossier code, when it had one.")
    result: Outcome
    reason: Reason | None = None
    detail: Detail | None = None
    errors: list[ItemError] | None = Field(default=None, description="Only for malformed items.")


class SyncResponse(BaseModel):
    results: list[ItemResult] = Field(description="One per item, in the order of `items`.")
    counts: dict[Outcome, int] = Field(description="How many items had each result.")


class RatingRead(BaseModel):
    code: str
    rating: str
    comment: str | None
    created_at: datetime


class RatingPage(BaseModel):
    items: list[RatingRead]
    next_cursor: str | None
