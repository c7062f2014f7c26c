"""Request and response models of submitting reports, uploading photos, duplicates, "me too" and following."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from feedback.reports.input_types import no_nul as _no_nul
from feedback.reports.models import (
    ADDRESS_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    MAX_PHOTOS,
)
from feedback.reports.schemas import ReportSummary

# Visible ASCII only: the key travels in an HTTP header and is compared byte for byte.
IDEMPOTENCY_KEY_PATTERN = rf"^[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}$"


Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=DESCRIPTION_MAX_LENGTH),
    AfterValidator(_no_nul),
]
Address = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=ADDRESS_MAX_LENGTH), AfterValidator(_no_nul)
]


class PointIn(BaseModel):
    """Where the problem is (WGS 84)."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)


class SubmitReport(BaseModel):
    """A new citizen report. Photos are either uploaded first (`photo_ids`) or sent in the same multipart
    request as `photos` parts."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "category_code": "road_damage",
                    "description": "Ổ gà lớn trước số 12 Trần Hưng Đạo",
                    "location": {"lat": 20.43, "lon": 106.175},
                    "address": "12 Trần Hưng Đạo",
                    "answers": {"size": "medium"},
                    "anonymous": False,
                    "is_public": True,
                    "urgent": False,
                    "photo_ids": [],
                }
            ]
        },
    )

    category_code: str = Field(min_length=1, max_length=64, description="An active category's code.")
    description: Description
    location: PointIn
    address: Address | None = None
    answers: dict[str, Any] = Field(
        default_factory=dict, description="Answers to the category's questions, keyed by question code."
    )
    anonymous: bool = Field(default=False, description="Hide the reporter from the public, not from staff.")
    is_public: bool = Field(default=True, description="Show the report on the public map and feed.")
    urgent: bool = Field(default=False, description="Danger to people: acknowledged within 4 working hours.")
    photo_ids: list[uuid.UUID] = Field(
        default_factory=list, description="Photos uploaded earlier by the caller, at most 5, in order."
    )


class NearbyReport(ReportSummary):
    """An open public report of the same category close to the given point: perhaps the same problem."""

    distance_m: float = Field(description="Distance from the given point, in metres.")


class SupportRead(BaseModel):
    """Where the caller stands with a report after saying "me too" or following it."""

    report_id: uuid.UUID
    code: str
    support_count: int
    follower_count: int
    supported: bool = Field(description='Whether the caller said "me too" on it.')
    following: bool = Field(description="Whether the caller follows it.")


class ProblemItem(BaseModel):
    """One problem of a request part, e.g. one invalid answer."""

    model_config = ConfigDict(extra="allow")


class SubmissionProblem(BaseModel):
    """A problem about a submission. `errors` lists each invalid part when there are several (answers,
    fields); other codes come without it."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int = Field(ge=400, le=599)
    code: str
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[ProblemItem] | None = None


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with its local `$defs` references replaced by the definitions: a request body described
    by hand must not point at components the document may not have."""
    definitions = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            reference = node.get("$ref")
            if isinstance(reference, str) and reference.startswith("#/$defs/"):
                return resolve(definitions[reference.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved


SUBMIT_JSON_SCHEMA = _inline(SubmitReport.model_json_schema())
# Both ways a phone can send a report, for the OpenAPI document (the route reads the body itself).
SUBMIT_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {"schema": SUBMIT_JSON_SCHEMA},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["report"],
                "properties": {
                    "report": {
                        "type": "string",
                        "contentMediaType": "application/json",
                        "description": "The report as JSON, the same document as the application/json body.",
                    },
                    "photos": {
                        "type": "array",
                        "maxItems": MAX_PHOTOS,
                        "items": {"type": "string", "format": "binary"},
                        "description": "Up to 5 photos (JPEG, PNG, HEIC or WebP), in order, together with "
                        "photo_ids at most 5.",
                    },
                },
            },
            "encoding": {"report": {"contentType": "application/json"}},
        },
    },
}

UPLOAD_REQUEST_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {
                        "type": "string",
                        "contentMediaType": "application/octet-stream",
                        "description": "A JPEG, PNG, HEIC or WebP photo.",
                    }
                },
            }
        }
    },
}
