"""Lean routes: the busiest public routes served as plain ASGI handlers, ahead of FastAPI's router.

FastAPI's routing, dependency solving and body handling cost about a millisecond of CPU per request, several
times what the dossier lookup itself needs. A lean route is declared twice: as a FastAPI route, which the
OpenAPI document, the access table and the contract tests read (and which serves it when lean routes are
turned off), and here, as a handler of a Starlette request that api.lean_routes calls before the router. Both
share their work; `read_body` validates a body exactly as FastAPI validates a body parameter, so a bad body
gets the same problem+json either way (tests/dossiers/citizen/test_lookup_lean.py compares the two).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

Model = TypeVar("Model", bound=BaseModel)
LeanHandler = Callable[[Request], Awaitable[Response]]
_MISSING = object()


@dataclass(frozen=True)
class LeanRoute:
    method: str
    # Also the route's label in the request metrics and access log, as a FastAPI route's template is.
    path: str
    handler: LeanHandler


def _is_json(content_type: str | None) -> bool:
    # As FastAPI reads a body (with the rules of email.message's get_content_type): JSON only under
    # application/json or application/*+json, and a body without a content type is not JSON.
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type.count("/") != 1:
        return False
    maintype, subtype = media_type.split("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


async def read_body(request: Request, model: type[Model]) -> Model:
    """The request's body as `model`; RequestValidationError (located under "body") when it is missing, not
    JSON or not valid, and a 400 when it cannot be decoded, as FastAPI answers for a body parameter."""
    raw = await request.body()
    value: Any = _MISSING
    if raw:
        if _is_json(request.headers.get("content-type")):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError as exc:
                error = {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
                raise RequestValidationError([error], body=exc.doc) from exc
            except ValueError as exc:  # not UTF-8
                raise HTTPException(400, "There was an error parsing the body") from exc
        else:
            value = raw
    if value is _MISSING:  # an empty body; a JSON null is a value (and not an object)
        raise RequestValidationError(
            [{"type": "missing", "loc": ("body",), "msg": "Field required", "input": None}]
        )
    try:
        # As FastAPI validates a body field (which also reads an object's attributes).
        return model.model_validate(value, from_attributes=True)
    except ValidationError as exc:
        errors = [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        raise RequestValidationError(errors, body=value) from exc
