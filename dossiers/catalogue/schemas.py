"""Models of the procedure catalogue: a procedure as agencies send it (and as the seed file holds it), and
the public answers."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
)

from dossiers.deadlines import DeadlineKind, DeadlineRule
from dossiers.models import NAME_MAX_LENGTH
from dossiers.types import AgencyLevel, OnlineLevel

# National procedure codes: the procedure's number in the national database (1.003560: its kind, then six
# digits), and, for a province's implementation of it, the agency-level parts and the province's code
# (1.003560.000.00.00.H56). Both forms occur in agencies' systems.
PROCEDURE_CODE_PATTERN = r"^[0-9]\.[0-9]{6}(\.[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z]{1,3}[0-9]{1,4})?$"
PROCEDURE_CODE_EXAMPLE = "1.003560.000.00.00.H56"
_CODE = re.compile(PROCEDURE_CODE_PATTERN)
PROCEDURE_NAME_MAX_LENGTH = 500
NOTE_MAX_LENGTH = 1000
MAX_DOCUMENTS = 50
MAX_FEE_VND = 10**12


def normalise_code(value: str) -> str:
    """A procedure code as stored: trimmed, letters in upper case (h56 and H56 are the same province)."""
    return value.strip().upper()


def is_procedure_code(value: str) -> bool:
    return _CODE.fullmatch(value) is not None


def _clean_text(value: str) -> str:
    # One-stop systems send both composed and decomposed Vietnamese; keep one form (NFC) so that equal
    # names compare equal. PostgreSQL cannot store U+0000, nor can UTF-8 carry a lone surrogate.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return unicodedata.normalize("NFC", value)


def _code(value: Any) -> Any:
    return normalise_code(value) if isinstance(value, str) else value


def _blank_as_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


# Text is trimmed; optional text sent blank is absent.
ProcedureName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=PROCEDURE_NAME_MAX_LENGTH),
    AfterValidator(_clean_text),
]
FieldName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_MAX_LENGTH),
    AfterValidator(_clean_text),
]
Note = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=NOTE_MAX_LENGTH),
    AfterValidator(_clean_text),
]
OptionalProcedureName = Annotated[ProcedureName | None, BeforeValidator(_blank_as_none)]
OptionalFieldName = Annotated[FieldName | None, BeforeValidator(_blank_as_none)]
OptionalNote = Annotated[Note | None, BeforeValidator(_blank_as_none)]
ProcedureCode = Annotated[
    str,
    BeforeValidator(_code),
    StringConstraints(pattern=PROCEDURE_CODE_PATTERN),
    Field(examples=[PROCEDURE_CODE_EXAMPLE]),
]
# Decimal amounts leave as JSON numbers (4.5), not strings.
Amount = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]


class DocumentIn(BaseModel):
    """A paper the applicant brings (thành phần hồ sơ)."""

    model_config = ConfigDict(extra="forbid")

    name_vi: ProcedureName
    name_en: OptionalProcedureName = None
    copies: int = Field(default=1, ge=1, le=20, description="How many copies to bring.")
    original: bool = Field(default=False, description="The original must be shown or handed in (bản chính).")


class DeadlineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: DeadlineKind
    amount: Decimal = Field(
        description="Working days, working hours or calendar days by kind (hours may be fractional, in "
        "whole minutes: 4.5); 0 for same_day.",
        examples=[3],
    )

    def rule(self) -> DeadlineRule:
        return DeadlineRule(self.kind, self.amount)


class ProcedureUpsert(BaseModel):
    """A procedure of the national catalogue as an agency's system sends it, keyed by its national code."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "code": "1.001193.000.00.00.H56",
                    "name_vi": "Đăng ký khai sinh",
                    "name_en": "Birth registration",
                    "field_vi": "Hộ tịch",
                    "field_en": "Civil status",
                    "level": "commune",
                    "deadline": {"kind": "same_day", "amount": 0},
                    "fee_vnd": None,
                    "fee_note_vi": "Miễn lệ phí khi đăng ký đúng hạn",
                    "online_level": "full",
                    "documents": [{"name_vi": "Giấy chứng sinh", "name_en": "Birth certificate"}],
                }
            ]
        },
    )

    code: ProcedureCode
    name_vi: ProcedureName
    name_en: OptionalProcedureName = None
    field_vi: FieldName
    field_en: OptionalFieldName = None
    level: AgencyLevel
    deadline: DeadlineIn
    resume_after_request: bool = Field(
        default=False,
        description="After a request for more documents the deadline resumes with the time that was left, "
        "instead of running afresh.",
    )
    fee_vnd: int | None = Field(default=None, ge=0, le=MAX_FEE_VND, description="Null: no fee.")
    fee_note_vi: OptionalNote = None
    fee_note_en: OptionalNote = None
    online_level: OnlineLevel
    documents: list[DocumentIn] = Field(default_factory=list, max_length=MAX_DOCUMENTS)
    active: bool = Field(default=True, description="False withdraws the procedure from the search.")

    @field_validator("deadline")
    @classmethod
    def _deadline_fits_kind(cls, deadline: DeadlineIn) -> DeadlineIn:
        try:
            deadline.rule()
        except (ValueError, TypeError) as error:
            raise ValueError(str(error)) from None
        return deadline


class ProcedureBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # An item that does not fit ProcedureUpsert is kept as it came, to be rejected alone with its reason.
    procedures: list[Annotated[ProcedureUpsert | dict[str, Any], Field(union_mode="left_to_right")]] = Field(
        min_length=1, max_length=500, description="1 to 500 procedures, each applied or rejected alone."
    )


# Answers -------------------------------------------------------------------------------------------------


class Deadline(BaseModel):
    kind: DeadlineKind
    amount: Amount
    text_vi: str = Field(examples=["3 ngày làm việc"])
    text_en: str = Field(examples=["3 working days"])


class Fee(BaseModel):
    amount_vnd: int | None = Field(description="Null: no fee.")
    text_vi: str = Field(examples=["50.000 đồng"])
    text_en: str = Field(examples=["50,000 VND"])
    note_vi: str | None = None
    note_en: str | None = None


class OnlineService(BaseModel):
    level: OnlineLevel
    text_vi: str = Field(examples=["Dịch vụ công trực tuyến toàn trình"])
    text_en: str = Field(examples=["Fully online"])


class Document(BaseModel):
    name_vi: str
    name_en: str | None
    copies: int
    original: bool


class ProcedureSummary(BaseModel):
    code: str = Field(examples=[PROCEDURE_CODE_EXAMPLE])
    name_vi: str
    name_en: str | None
    field_vi: str
    field_en: str | None
    level: AgencyLevel
    deadline: Deadline
    fee: Fee
    online: OnlineService


class ProcedureRead(ProcedureSummary):
    documents: list[Document]
    resume_after_request: bool
    active: bool = Field(description="False: withdrawn from the catalogue (older dossiers still name it).")
    updated_at: datetime


class ProcedurePage(BaseModel):
    items: list[ProcedureSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class FieldRead(BaseModel):
    field_vi: str = Field(examples=["Hộ tịch"])
    field_en: str | None = Field(examples=["Civil status"])
    procedures: int = Field(description="Active procedures in the field.")


# The sync answer -------------------------------------------------------------------------------------------


class ItemError(BaseModel):
    pointer: str = Field(description="JSON pointer inside the item, e.g. /deadline/amount.")
    message: str


class SyncItemResult(BaseModel):
    index: int = Field(description="Position of the item in the request's list.")
    code: str | None = Field(description="The item's code, as sent, when it had one.")
    result: str = Field(description="created, updated, unchanged or rejected.", examples=["created"])
    reason: str | None = Field(
        default=None,
        description="Why a rejected item was refused: invalid_code, missing_name, missing_field, "
        "invalid_text, invalid_level, invalid_online_level, invalid_deadline, negative_fee, invalid_fee, "
        "invalid_documents, duplicate_in_batch or malformed.",
    )
    message_vi: str | None = None
    message_en: str | None = None
    errors: list[ItemError] = Field(default_factory=list)


class SyncResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: int
    items: list[SyncItemResult]
