"""Make the OpenAPI document tell the truth about errors and languages.

FastAPI documents a 422 `HTTPValidationError` in `application/json` that this API never sends: every error
leaves through api.problems as `application/problem+json`. The hook below rewrites the generated document:
`Problem` and `ValidationProblem` schemas, the 422 and 500 problems of every operation, problem content for
the error responses routes declare without a body, and the optional `Accept-Language` header every route
honours.

Routes declare their errors as `responses={404: {"description": "... (code unit_not_found)"}}`; the hook adds
the problem body. A route that names its own problem model (one with extension members) keeps it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from api.operations import describe_optional_sign_in
from core.errors import PROBLEM_CONTENT_TYPE, TITLES

SCHEMA_REF = "#/components/schemas/{model}"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
# FastAPI's own validation error schemas, unused once every 422 points at ValidationProblem.
FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


class ValidationErrorItem(BaseModel):
    """One invalid part of a request."""

    location: list[str] = Field(
        description="The request part (body, query, path, header or cookie), then the keys to the value."
    )
    pointer: str = Field(description="RFC 6901 JSON Pointer to the value inside that request part.")
    type: str = Field(description="Machine-readable reason, e.g. missing, int_parsing, string_too_long.")
    message: str = Field(description="The validator's explanation, in English.")


def _without_null_defaults(schema: dict[str, Any]) -> None:
    # Optional members are left out rather than sent as null; a `default: null` would suggest otherwise.
    for member in (schema.get("properties") or {}).values():
        if "default" in member and member["default"] is None:
            del member["default"]


class Problem(BaseModel):
    """An RFC 9457 problem details document; every error response of this API is one."""

    # Extension members (such as `checks` on a readiness failure) may appear beside the standard ones.
    model_config = ConfigDict(extra="allow", json_schema_extra=_without_null_defaults)

    type: str = Field(description="URI reference naming the kind of problem: /problems/{code}.")
    title: str = Field(description="Short summary in the language chosen by Accept-Language.")
    status: int = Field(ge=400, le=599, description="The HTTP status code.")
    code: str = Field(
        description="Stable machine-readable code; codes are never renamed. Known codes: "
        + ", ".join(sorted(TITLES))
        + "."
    )
    # Absent rather than null when there is nothing to say, hence SkipJsonSchema: null is never sent.
    detail: str | SkipJsonSchema[None] = Field(
        default=None, description="Explanation of this occurrence, in the chosen language."
    )
    instance: str | SkipJsonSchema[None] = Field(default=None, description="The request path.")
    request_id: str | SkipJsonSchema[None] = Field(
        default=None, description="The X-Request-ID of the request; quote it when reporting a problem."
    )


class ValidationProblem(Problem):
    """A problem with code validation_error, listing every invalid part of the request."""

    errors: list[ValidationErrorItem]


ACCEPT_LANGUAGE: dict[str, Any] = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "description": "vi (default) or en, with optional q-values: the language of problem titles and details.",
    "schema": {"type": "string", "examples": ["vi", "en", "en-US,en;q=0.9,vi;q=0.8"]},
}
ACCEPT_LANGUAGE_REF = {"$ref": "#/components/parameters/AcceptLanguage"}

# The security scheme of access tokens, as FastAPI names HTTPBearer in the document.
BEARER_SCHEME = "HTTPBearer"

ERROR_DESCRIPTIONS = {
    "400": "The request body cannot be read (for example, it is not valid UTF-8).",
    "413": "The request body is larger than this route accepts (code payload_too_large), refused as it "
    "streams in, before the caller is checked.",
    "422": "The request is not valid: `errors` lists every invalid part.",
    "503": "A staff token could not be checked against ended sessions (code session_check_unavailable); "
    "try again after Retry-After.",
    "500": "Unexpected error; `request_id` identifies it in the server's logs.",
}


def problem_schemas() -> dict[str, Any]:
    """The component schemas of Problem, ValidationProblem and ValidationErrorItem."""
    schemas: dict[str, Any] = {}
    for model in (Problem, ValidationProblem):
        schema = model.model_json_schema(ref_template=SCHEMA_REF, mode="serialization")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    return schemas


def install_openapi(app: FastAPI) -> None:
    """Wrap app.openapi so that every document it produces describes errors as problems, and optional
    sign-in as optional (api/operations.py)."""
    generate: Callable[[], dict[str, Any]] = app.openapi
    described: list[dict[str, Any]] = []  # the document already rewritten, so the rewrite happens once

    def openapi() -> dict[str, Any]:
        # FastAPI caches the document and builds a new one when routes change; rewrite each new one once.
        document = generate()
        if not described or described[0] is not document:
            describe_problems(document)
            describe_optional_sign_in(document, app)
            described[:] = [document]
        return document

    app.openapi = openapi  # type: ignore[method-assign]  # the documented way to customise FastAPI's document


def describe_problems(document: MutableMapping[str, Any]) -> None:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas.update(problem_schemas())
    components.setdefault("parameters", {})["AcceptLanguage"] = copy.deepcopy(ACCEPT_LANGUAGE)
    for path_item in (document.get("paths") or {}).values():
        for method, operation in path_item.items():
            if method in HTTP_METHODS:
                _describe_operation(operation)
    _drop_unreferenced(document, FASTAPI_VALIDATION_SCHEMAS)


def _describe_operation(operation: MutableMapping[str, Any]) -> None:
    parameters = operation.setdefault("parameters", [])
    declares_language = any(
        str(parameter.get("name", "")).lower() == "accept-language" and parameter.get("in") == "header"
        for parameter in parameters
    )
    if not declares_language:
        parameters.append(dict(ACCEPT_LANGUAGE_REF))
    responses = operation.setdefault("responses", {})
    responses.setdefault("500", {"description": ERROR_DESCRIPTIONS["500"]})
    if "requestBody" in operation:
        # FastAPI answers 400 for a body it cannot decode at all, before any validation.
        responses.setdefault("400", {"description": ERROR_DESCRIPTIONS["400"]})
        # api/body_limits.py bounds every body, whoever sends it.
        responses.setdefault("413", {"description": ERROR_DESCRIPTIONS["413"]})
    if any(BEARER_SCHEME in requirement for requirement in operation.get("security") or []):
        # core/http/policies.py refuses staff tokens while Redis cannot say whether their session ended.
        _add_description(responses, "503", ERROR_DESCRIPTIONS["503"])
    for status, response in responses.items():
        if _is_error(status):
            _describe_error(status, response)


def _add_description(responses: MutableMapping[str, Any], status: str, description: str) -> None:
    """Document `description` under `status`, after what the route itself says there, if anything."""
    response = responses.setdefault(status, {"description": description})
    if description not in response.get("description", ""):
        said = str(response["description"]).rstrip(". ")
        response["description"] = f"{said}; or: {description[0].lower()}{description[1:]}"


def _describe_error(status: str, response: MutableMapping[str, Any]) -> None:
    content = response.setdefault("content", {})
    declared = content.pop("application/json", None)
    if declared is not None and _is_placeholder(declared.get("schema")):
        if status in ERROR_DESCRIPTIONS:
            response["description"] = ERROR_DESCRIPTIONS[status]
    elif declared is not None:
        # Errors are only ever sent as problems, so a route's `responses={409: {"model": SomeProblem}}`, which
        # FastAPI files under application/json, describes a problem body.
        content.setdefault(PROBLEM_CONTENT_TYPE, declared)
    media = content.setdefault(PROBLEM_CONTENT_TYPE, {})
    # A named schema (a Problem with extension members) is kept. An inline one is replaced: the shape is
    # defined once, here, and an inline model_json_schema() carries $defs that do not resolve in the document.
    if "$ref" not in (media.get("schema") or {}):
        model = ValidationProblem if status == "422" else Problem
        media["schema"] = {"$ref": SCHEMA_REF.format(model=model.__name__)}


def _is_placeholder(schema: Any) -> bool:
    """No schema, or FastAPI's default validation error: nothing a route author chose."""
    if not schema:
        return True
    return isinstance(schema, dict) and schema.get("$ref") == SCHEMA_REF.format(model="HTTPValidationError")


def _is_error(status: str) -> bool:
    return status[:1] in ("4", "5")


def _drop_unreferenced(document: MutableMapping[str, Any], names: tuple[str, ...]) -> None:
    """Remove the named component schemas nothing else points at (in order, so a chain goes too)."""
    schemas = document["components"]["schemas"]
    for name in names:
        rest = {key: value for key, value in document.items() if key != "components"}
        rest["components"] = {
            **document["components"],
            "schemas": {other: schema for other, schema in schemas.items() if other != name},
        }
        if SCHEMA_REF.format(model=name) not in set(_refs(rest)):
            schemas.pop(name, None)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)
