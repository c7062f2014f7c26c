"""Every error leaves the API as application/problem+json with a stable code, in the caller's language."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    PROBLEM_CONTENT_TYPE,
    STATUS_CODES,
    TITLES,
    Message,
    ProblemError,
    pick_language,
    problem_body,
)

logger = logging.getLogger("smartcity.errors")


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    detail: Message | None = None,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = problem_body(
        status=status,
        code=code,
        language=pick_language(request.headers.get("accept-language")),
        detail=detail,
        instance=request.url.path,
        request_id=getattr(request.state, "request_id", None),
        extensions=extensions,
    )
    return JSONResponse(body, status_code=status, media_type=PROBLEM_CONTENT_TYPE, headers=headers)


def _json_pointer(keys: list[str]) -> str:
    """RFC 6901: "" is the whole document, and "~" and "/" inside a key are escaped."""
    return "".join("/" + key.replace("~", "~0").replace("/", "~1") for key in keys)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for error in exc.errors():
        location = [str(part) for part in error.get("loc", ())]
        if error.get("type") == "json_invalid":
            # FastAPI puts the character offset of a JSON syntax error after "body"; it is not a key.
            location = location[:1]
        errors.append(
            {
                "location": location,
                # A JSON pointer into the request part named by the first element (body, query, path, header).
                "pointer": _json_pointer(location[1:]),
                "type": str(error.get("type", "invalid")),
                "message": str(error.get("msg", "invalid value")),
            }
        )
    return errors


# Methods whose requests carry a body: a 422 about such a request as a whole is about its body.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _whole_request_errors(request: Request, exc: ProblemError) -> list[dict[str, Any]]:
    """The `errors` of a 422 the code raised about the request as a whole (outside the province, a deadline
    not later...): one item naming the body (or the query of a request without one), so that every 422 is the
    documented ValidationProblem and clients read one shape."""
    part = "body" if request.method in _BODY_METHODS else "query"
    message = exc.detail.en if exc.detail is not None else TITLES[exc.code].en
    return [{"location": [part], "pointer": "", "type": exc.code, "message": message}]


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    extensions = exc.extensions
    if exc.status == 422 and "errors" not in extensions:
        extensions = {**extensions, "errors": _whole_request_errors(request, exc)}
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        detail=exc.detail,
        extensions=extensions,
        headers=exc.headers or None,
    )


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(
        request,
        status=422,
        code="validation_error",
        detail=Message(
            "Một số trường không hợp lệ, xem danh sách errors",
            "Some fields are not valid, see the errors list",
        ),
        extensions={"errors": _validation_errors(exc)},
    )


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = STATUS_CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers) if exc.headers else None
    return problem_response(request, status=exc.status_code, code=code, headers=headers)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", extra={"path": request.url.path})
    # Starlette sends this response from its outermost middleware, outside ObservabilityMiddleware, which
    # therefore cannot add the X-Request-ID header the way it does for every other response.
    request_id = getattr(request.state, "request_id", None)
    headers = {"x-request-id": request_id} if request_id else None
    return problem_response(request, status=500, code="internal_error", headers=headers)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(Exception, _on_unexpected)
