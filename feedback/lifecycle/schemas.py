"""Request bodies of the lifecycle actions. Unknown fields are refused."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from feedback.reports.input_types import MAX_YEAR, MIN_YEAR, NoNulStr, UtcMoment
from feedback.reports.models import MAX_PHOTOS, NOTE_MAX_LENGTH
from feedback.reports.status import Rating

RATING_COMMENT_MAX_LENGTH = 1000
UNIT_CODE_PATTERN = r"^([0-9]{2}|[0-9]{5})$"
DEPARTMENT_CODE_PATTERN = r"^[A-Z][A-Z0-9_]{1,15}$"


def _note() -> Any:
    return Field(default=None, min_length=1, max_length=NOTE_MAX_LENGTH, description="An optional note.")


def _reason(description: str) -> Any:
    return Field(min_length=1, max_length=NOTE_MAX_LENGTH, pattern=r"\S", description=description)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoteBody(_Body):
    """Accept, start or close: an optional note for the timeline."""

    note: NoNulStr | None = _note()


class RejectBody(_Body):
    reason: NoNulStr = _reason("Why the report is rejected; shown to the reporter and the public.")


class AssignBody(_Body):
    assignee_id: uuid.UUID | None = Field(
        default=None, description="An officer or field staff member whose units cover the report's unit."
    )
    note: NoNulStr | None = _note()


class ResolveBody(_Body):
    answer: NoNulStr = _reason("The public answer: what was done.")
    proof_photo_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=MAX_PHOTOS,
        description="Photos of the fix, uploaded beforehand by the caller.",
    )


class ExtendDeadlineBody(_Body):
    """A new resolve deadline: a moment after the current one, or a number of working days added to it."""

    reason: NoNulStr = _reason("Why more time is needed.")
    due_at: UtcMoment | None = Field(
        default=None,
        description=f"The new deadline, with its offset (years {MIN_YEAR} to {MAX_YEAR}).",
    )
    working_days: int | None = Field(default=None, ge=1, le=60)

    @model_validator(mode="after")
    def _one_way(self) -> ExtendDeadlineBody:
        if (self.due_at is None) == (self.working_days is None):
            raise ValueError("give exactly one of due_at and working_days")
        return self


class ReassignBody(_Body):
    unit_code: str | None = Field(default=None, pattern=UNIT_CODE_PATTERN)
    department_code: str | None = Field(default=None, pattern=DEPARTMENT_CODE_PATTERN)
    reason: NoNulStr = _reason("Why the report changes hands.")

    @model_validator(mode="after")
    def _something(self) -> ReassignBody:
        if self.unit_code is None and self.department_code is None:
            raise ValueError("give unit_code, department_code or both")
        return self


class MergeBody(_Body):
    into_report_id: uuid.UUID
    reason: NoNulStr = _reason("Why the reports are the same problem.")


class ReopenBody(_Body):
    reason: NoNulStr = _reason("Why the problem is not fixed.")


class RateBody(_Body):
    rating: Rating
    comment: NoNulStr | None = Field(default=None, min_length=1, max_length=RATING_COMMENT_MAX_LENGTH)
