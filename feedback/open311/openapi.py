"""The OpenAPI description of the Open311 routes, written by hand: the routes read their parameters
themselves (a path that names no service or format must be a 404 in Open311 form, never a 422 problem), so
FastAPI cannot derive them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from feedback.open311.documents import Format, Open311Error
from feedback.open311.rendering import XML_CONTENT
from feedback.open311.requests import (
    MAX_DEPTH,
    MAX_PAGE_SIZE,
    Open311Created,
    Open311Request,
    Open311RequestUpdate,
    Open311Token,
)
from feedback.reports.models import IDEMPOTENCY_KEY_MAX_LENGTH

IDEMPOTENCY_HEADER = "Idempotency-Key"
FORM_CONTENT = "application/x-www-form-urlencoded"
SCHEMA_REF = "#/components/schemas/{model}"


def xml_schema(root: str, model: type[BaseModel], *, many: bool = False) -> dict[str, Any]:
    ref = {"$ref": SCHEMA_REF.format(model=model.__name__)}
    if many:
        return {"type": "array", "items": ref, "xml": {"name": root, "wrapped": True}}
    return {"allOf": [ref], "xml": {"name": root}}


FORMAT_PARAMETER: dict[str, Any] = {
    "name": "format",
    "in": "path",
    "required": True,
    "description": "json or xml; any other format is a 404 in Open311 JSON form.",
    "schema": {"type": "string", "enum": [item.value for item in Format]},
}
SERVICE_CODE_PARAMETER: dict[str, Any] = {
    "name": "service_code",
    "in": "path",
    "required": True,
    "description": "The service_code from the service list.",
    "schema": {"type": "string", "examples": ["road_damage"]},
}
LANGUAGE_PARAMETER: dict[str, Any] = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    # Open311 has no language field, so the texts follow the header.
    "description": "vi (default) or en, with optional q-values: the language of names and descriptions.",
    "schema": {"type": "string", "examples": ["vi", "en"]},
}
ERRORS_404 = {
    "description": "No such service, or a format other than json and xml: an Open311 error list, in XML "
    "when the format is xml and in JSON otherwise.",
    "model": list[Open311Error],
}


def read_doc(
    parameters: Sequence[dict[str, Any]],
    root: str,
    model: type[BaseModel],
    many: bool = False,
) -> dict[str, Any]:
    return {
        # Public reference data: an empty security requirement says so.
        "security": [],
        "parameters": list(parameters),
        "responses": {
            "200": {"content": {XML_CONTENT: {"schema": xml_schema(root, model, many=many)}}},
            "404": {"content": {XML_CONTENT: {"schema": xml_schema("errors", Open311Error, many=True)}}},
        },
    }


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _path(name: str, description: str, example: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "examples": [example]},
    }


ERRORS = {
    400: "A parameter or field the server cannot take.",
    403: "No api_key, a wrong or revoked one, or one without the scope open311:submit.",
    404: "Nothing by that id or token (private reports included), or a format other than json and xml.",
    429: "Too many anonymous reads from this client (code rate_limited, header Retry-After).",
}
DATE_PARAMETERS = [
    _query(
        "start_date",
        "W3C datetime with a time zone, or a date (midnight in Vietnam).",
        {"type": "string", "examples": ["2026-11-01T00:00:00+07:00"]},
    ),
    _query(
        "end_date",
        "W3C datetime with a time zone, or a date (midnight in Vietnam).",
        {"type": "string", "examples": ["2026-11-20T00:00:00Z"]},
    ),
]
PAGE_PARAMETERS = [
    _query(
        "page",
        f"1-based page number; page × page_size may not exceed {MAX_DEPTH}.",
        {"type": "string", "examples": ["1"]},
    ),
    _query("page_size", f"Requests per page, 1 to {MAX_PAGE_SIZE}.", {"type": "string", "examples": ["100"]}),
]
FORM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["service_code", "lat", "long"],
    "properties": {
        "api_key": {"type": "string", "description": "The API key, when not sent as X-API-Key."},
        "jurisdiction_id": {"type": "string", "description": "Ignored: this server has one jurisdiction."},
        "service_code": {"type": "string", "examples": ["road_damage"]},
        "lat": {"type": "number"},
        "long": {"type": "number"},
        "address_string": {"type": "string", "description": "Kept as the address; the point locates."},
        "address_id": {"type": "string", "description": "Not supported: send lat and long."},
        "description": {"type": "string"},
        "email": {"type": "string"},
        "device_id": {"type": "string"},
        "account_id": {"type": "string"},
        "first_name": {"type": "string"},
        "last_name": {"type": "string"},
        "phone": {"type": "string"},
        "media_url": {"type": "string", "description": "A photo link kept for officers; never fetched."},
    },
    # attribute[CODE]=value and attribute[CODE][]=value for multivaluelist attributes.
    "additionalProperties": {"type": "string"},
}


def _doc(
    parameters: list[dict[str, Any]],
    root: str,
    model: type[BaseModel],
    errors: Sequence[int],
    *,
    many: bool = True,
    public: bool = True,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "parameters": [*parameters, FORMAT_PARAMETER, LANGUAGE_PARAMETER],
        "responses": {
            "200": {"content": {XML_CONTENT: {"schema": xml_schema(root, model, many=many)}}},
            **{
                str(status): {
                    "content": {XML_CONTENT: {"schema": xml_schema("errors", Open311Error, many=True)}}
                }
                for status in errors
            },
        },
    }
    if public:
        extra["security"] = []
    if body is not None:
        extra["requestBody"] = body
    return {
        "responses": {
            status: {"description": ERRORS[status], "model": list[Open311Error]} for status in errors
        },
        "openapi_extra": extra,
    }


REQUESTS_DOC = _doc(
    [
        _query(
            "service_request_id",
            "Comma-separated report codes; when given, the other filters are ignored.",
            {"type": "string", "examples": ["PA-2026-000123"]},
        ),
        _query(
            "service_code", "Comma-separated service codes.", {"type": "string", "examples": ["road_damage"]}
        ),
        *DATE_PARAMETERS,
        _query("status", "open, closed, or both comma-separated.", {"type": "string", "examples": ["open"]}),
        *PAGE_PARAMETERS,
    ],
    "service_requests",
    Open311Request,
    [400, 404, 429],
)
REQUEST_DOC = _doc(
    [_path("service_request_id", "The report code.", "PA-2026-000123")],
    "service_requests",
    Open311Request,
    [404, 429],
)
TOKEN_DOC = _doc(
    [_path("token", "The token a POST answered with.", "5mJd7oKq")],
    "service_requests",
    Open311Token,
    [404, 429],
)
UPDATES_DOC = _doc(
    [*DATE_PARAMETERS, *PAGE_PARAMETERS], "service_request_updates", Open311RequestUpdate, [400, 404, 429]
)
POST_DOC = _doc(
    [
        _query("api_key", "The API key, when sent neither as X-API-Key nor in the form."),
        {
            "name": IDEMPOTENCY_HEADER,
            "in": "header",
            "required": False,
            "description": "Makes a retry return the same request instead of filing it again.",
            "schema": {"type": "string", "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH},
        },
    ],
    "service_requests",
    Open311Created,
    [400, 403, 404],
    public=False,
    body={"required": True, "content": {FORM_CONTENT: {"schema": FORM_SCHEMA}}},
)
POST_DOC["responses"][401] = {
    "description": "No usable API key on a path whose format is neither json nor xml: the application's "
    "own problem, as there is no Open311 format to answer in.",
}
