"""Answering Open311 calls: the representation a call asks for, the documents in JSON or XML, and errors in
the spec's own form.

The Open311 routes are the one exception to problem+json errors: clients expect the spec's error list,
[{code, description}] or `<errors><error>`, in the requested format. The format is the path's suffix, so
the routes take it (and the language) through one dependency, `Wanted`; a suffix that names no format is a
404 in Open311 JSON form, answered by the routers' route classes below.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from core.errors import TITLES, Language, Message, ProblemError, pick_language
from feedback.open311 import xml
from feedback.open311.documents import CONTENT_TYPES, Format, Open311Error

JSON_CONTENT, XML_CONTENT = CONTENT_TYPES[Format.JSON], CONTENT_TYPES[Format.XML]


class Open311JSONResponse(JSONResponse):
    # Declared so the OpenAPI document files the JSON bodies under the media type actually sent; the routes
    # build their responses themselves, as the format is only known from the path.
    media_type = JSON_CONTENT


def render(fmt: Format, root: str, document: BaseModel | Sequence[BaseModel], status: int = 200) -> Response:
    if fmt is Format.XML:
        body = xml.render(root, document)
    else:
        data = (
            document.model_dump(mode="json", exclude_none=True)
            if isinstance(document, BaseModel)
            else [item.model_dump(mode="json", exclude_none=True) for item in document]
        )
        body = json.dumps(data, ensure_ascii=False).encode()
    return Response(body, status_code=status, media_type=CONTENT_TYPES[fmt])


def not_found(fmt: Format, message: Message, language: Language) -> Response:
    return render(fmt, "errors", [Open311Error(code=404, description=message.in_(language))], status=404)


def request_format(request: Request) -> Format | None:
    try:
        return Format(request.path_params["format"])
    except ValueError:
        return None


def unknown_format(language: Language) -> Response:
    # The path names no representation this server has; answered in JSON, the format every client reads.
    return not_found(
        Format.JSON,
        Message(
            "Định dạng không được hỗ trợ, hãy dùng .json hoặc .xml",
            "Unsupported format: use .json or .xml",
        ),
        language,
    )


# The representation a call asks for ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Representation:
    """What an Open311 call is answered in: the format of its path's suffix and the caller's language."""

    format: Format
    language: Language


class UnknownFormatError(Exception):
    """The path's suffix names no format; Open311FormatRoute answers it."""

    def __init__(self, language: Language) -> None:
        super().__init__(language)
        self.language = language


async def _wanted(request: Request) -> Representation:
    language = pick_language(request.headers.get("accept-language"))
    fmt = request_format(request)
    if fmt is None:
        raise UnknownFormatError(language)
    return Representation(format=fmt, language=language)


# Open311 routes take it as a parameter (after their policy, so that a refused key is refused first).
Wanted = Annotated[Representation, Depends(_wanted)]


class Open311FormatRoute(APIRoute):
    """A route whose unknown format (raised by `Wanted`) is answered as a 404 in Open311 JSON form."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer_unknown_format(request: Request) -> Response:
            try:
                return await handler(request)
            except UnknownFormatError as unknown:
                return unknown_format(unknown.language)

        return answer_unknown_format


# Errors in the spec's form ---------------------------------------------------------------------------------


def spec_status(status: int, method: str) -> int:
    """The spec's status for a problem: 403 for any refused api_key (missing, wrong or lacking the scope),
    404 for what a GET names and does not exist, 400 for anything else the caller got wrong. A conflict
    and a rate limit keep theirs (409, 429): their meaning matters to a client that retries."""
    if status in (401, 403):
        return 403
    if status == 404 and method == "GET":
        return 404
    if status in (409, 429) or status >= 500:
        return status
    return 400


def _description(problem: ProblemError, language: Language) -> str:
    text = (problem.detail or TITLES[problem.code]).in_(language)
    # invalid_answers lists each question and its problem; Open311 has only one string to carry them.
    errors = problem.extensions.get("errors")
    if isinstance(errors, list):
        details = [
            f"{error.get('question_code')}: {error.get('message_vi' if language == 'vi' else 'message_en')}"
            for error in errors
            if isinstance(error, dict)
        ]
        if details:
            text = f"{text}: " + "; ".join(details)
    return text


def error_response(request: Request, problem: ProblemError) -> Response:
    language = pick_language(request.headers.get("accept-language"))
    status = spec_status(problem.status, request.method)
    fmt = request_format(request) or Format.JSON
    response = render(
        fmt, "errors", [Open311Error(code=status, description=_description(problem, language))], status=status
    )
    if "Retry-After" in problem.headers:
        response.headers["Retry-After"] = problem.headers["Retry-After"]
    return response


class Open311Route(Open311FormatRoute):
    """A route whose problems, the policy's included, come out as Open311 errors."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer_in_open311_form(request: Request) -> Response:
            try:
                return await handler(request)
            except ProblemError as problem:
                if request_format(request) is None:
                    # The path names no Open311 representation (only the API-key policy gets that far):
                    # the application's own problem+json answers, like on every other guarded route.
                    raise
                return error_response(request, problem)

        return answer_in_open311_form
