"""Open311 GeoReport v2 requests: list, get, post, tokens and servicerequestupdates.

Not `from __future__ import annotations`: FastAPI must see the dependency annotations as objects.

Like the read routes (feedback/open311_routes.py), these answer errors in the spec's own form, in the
requested format, and take no parameter FastAPI validates. Errors raised by the API-key policy happen before
a handler runs, so the routes of this router use Open311Route, which turns every ProblemError, the policy's
included, into the spec's error document with the spec's statuses (see spec_status).
"""

import re
import secrets
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import TITLES, Language, Message, ProblemError, pick_language
from core.identity.api_keys import ApiClient
from core.settings import Settings
from feedback import open311, open311_requests, open311_submission, repository
from feedback.idempotency import Idempotency, api_key_owner, request_hash
from feedback.models import CATEGORY_CODE_PATTERN
from feedback.open311 import CONTENT_TYPES, Format, Open311Error
from feedback.open311_requests import (
    DEFAULT_UPDATES_PAGE_SIZE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    UPDATES_WINDOW,
    Open311Created,
    Open311Request,
    Open311RequestUpdate,
    Open311Token,
    Open311Updates,
    bad_request,
)
from feedback.open311_routes import (
    FORMAT_PARAMETER,
    LANGUAGE_PARAMETER,
    Open311JSONResponse,
    render,
    request_format,
    unknown_format,
    xml_schema,
)
from feedback.report_models import IDEMPOTENCY_KEY_MAX_LENGTH
from feedback.route_deps import FeedbackDeps, working_calendar
from feedback.status import ReportSource
from feedback.submission import NewReport, submit_report

IDEMPOTENCY_HEADER = "Idempotency-Key"
_IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}")


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


class Open311Route(APIRoute):
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


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _form(request: Request) -> list[tuple[str, str]]:
    try:
        form = await request.form()
    except Exception as error:  # a body that is not a readable form, whatever the parser says about it
        raise bad_request(
            Message(
                "Nội dung phải là biểu mẫu application/x-www-form-urlencoded",
                "The body must be an application/x-www-form-urlencoded form",
            )
        ) from error
    items = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    # PostgreSQL text cannot hold NUL; such a value is no text a person wrote.
    if any("\x00" in key or "\x00" in value for key, value in items):
        raise bad_request(Message("Biểu mẫu chứa ký tự NUL", "The form holds a NUL character"))
    return items


def _idempotency(request: Request, client: ApiClient, canonical: dict[str, Any]) -> Idempotency | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise bad_request(
            Message(
                f"{IDEMPOTENCY_HEADER} phải gồm 1 đến {IDEMPOTENCY_KEY_MAX_LENGTH} ký tự ASCII in được",
                f"{IDEMPOTENCY_HEADER} must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters",
            )
        )
    return Idempotency(owner=api_key_owner(client.key_id), key=key, request_hash=request_hash(canonical))


def _updates(fmt: Format, updates: Open311Updates) -> Response:
    if fmt is Format.XML:
        return render(fmt, "service_request_updates", updates.service_request_updates)
    return render(fmt, "service_request_updates", updates)


# The OpenAPI description -----------------------------------------------------------------------------------
# The routes read their parameters themselves (see the module's docstring), so they are described by hand.
XML_CONTENT = CONTENT_TYPES[Format.XML]
FORM_CONTENT = "application/x-www-form-urlencoded"


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
    _query("page", "1-based page number.", {"type": "string", "examples": ["1"]}),
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
    [400, 404],
)
REQUEST_DOC = _doc(
    [_path("service_request_id", "The report code.", "PA-2026-000123")],
    "service_requests",
    Open311Request,
    [404],
)
TOKEN_DOC = _doc(
    [_path("token", "The token a POST answered with.", "5mJd7oKq")], "service_requests", Open311Token, [404]
)
UPDATES_DOC = _doc(
    [*DATE_PARAMETERS, *PAGE_PARAMETERS], "service_request_updates", Open311RequestUpdate, [400, 404]
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


def create_router(deps: FeedbackDeps) -> APIRouter:
    router = APIRouter(
        prefix=open311.BASE_PATH,
        tags=["open311"],
        default_response_class=Open311JSONResponse,
        route_class=Open311Route,
    )

    @router.get(
        "/requests.{format}",
        response_model=list[Open311Request],
        dependencies=[deps.public],
        summary="Open311 service requests: public reports, newest first",
        **REQUESTS_DOC,
    )
    async def list_requests(
        request: Request,
        db: Annotated[AsyncSession, Depends(deps.session)],
        settings: Annotated[Settings, Depends(deps.settings)],
    ) -> Response:
        language = pick_language(request.headers.get("accept-language"))
        fmt = request_format(request)
        if fmt is None:
            return unknown_format(language)
        query = open311_requests.request_query(dict(request.query_params), now=datetime.now(UTC))
        rows = await open311_requests.list_requests(db, query, language)
        return render(
            fmt,
            "service_requests",
            [
                open311_requests.request_document(
                    row, base_url=_base_url(request), media_prefix=settings.media_url_prefix
                )
                for row in rows
            ],
        )

    @router.get(
        "/requests/{service_request_id}.{format}",
        response_model=list[Open311Request],
        dependencies=[deps.public],
        summary="Open311 service request: one public report",
        **REQUEST_DOC,
    )
    async def get_request(
        request: Request,
        db: Annotated[AsyncSession, Depends(deps.session)],
        settings: Annotated[Settings, Depends(deps.settings)],
    ) -> Response:
        language = pick_language(request.headers.get("accept-language"))
        fmt = request_format(request)
        if fmt is None:
            return unknown_format(language)
        code: str = request.path_params["service_request_id"]
        row = await open311_requests.get_request(db, code, language)
        if row is None:
            # Private reports too: their existence is not disclosed.
            raise ProblemError(
                404, "report_not_found", Message(f"Không có yêu cầu {code}", f"No service request {code}")
            )
        return render(
            fmt,
            "service_requests",
            [
                open311_requests.request_document(
                    row,
                    base_url=_base_url(request),
                    media_prefix=settings.media_url_prefix,
                )
            ],
        )

    @router.post(
        "/requests.{format}",
        response_model=list[Open311Created],
        summary="Open311 POST service request: file a report from another system",
        **POST_DOC,
    )
    async def post_request(
        request: Request,
        db: Annotated[AsyncSession, Depends(deps.session)],
        client: Annotated[ApiClient, deps.open311_submit],
    ) -> Response:
        language = pick_language(request.headers.get("accept-language"))
        fmt = request_format(request)
        if fmt is None:
            return unknown_format(language)
        submission = open311_submission.parse_submission(await _form(request))
        code = submission.service_code
        category = (
            await repository.get_active_category(db, code)
            if re.fullmatch(CATEGORY_CODE_PATTERN, code)
            else None
        )
        if category is None:
            raise ProblemError(
                400,
                "category_not_found",
                Message(f"Không có dịch vụ mã {code}", f"No service has the code {code}"),
            )
        answers = open311_submission.answers(submission, category.questions)
        idempotency = _idempotency(request, client, asdict(submission))
        new = NewReport(
            category_code=code,
            description=submission.description,
            lat=submission.lat,
            lon=submission.lon,
            reporter_id=None,
            address=submission.address,
            answers=answers,
            source=ReportSource.OPEN311,
            actor_role="integration",
            api_key_id=client.key_id,
            reporter_contact=submission.contact or None,
            open311_token=secrets.token_urlsafe(24),
        )
        # A savepoint: a refusal from submission leaves nothing behind, though this router answers it
        # instead of letting it reach the request's session.
        async with db.begin_nested():
            report, _ = await submit_report(db, working_calendar(), new, idempotency=idempotency)
        return render(
            fmt,
            "service_requests",
            [
                Open311Created(
                    service_request_id=report.code,
                    token=report.open311_token or "",
                    service_notice=open311_requests.service_notice(report, language),
                    account_id=submission.account_id,
                )
            ],
        )

    @router.get(
        "/tokens/{token}.{format}",
        response_model=list[Open311Token],
        dependencies=[deps.public],
        summary="Open311 token: the service request a POST made",
        **TOKEN_DOC,
    )
    async def get_token(request: Request, db: Annotated[AsyncSession, Depends(deps.session)]) -> Response:
        language = pick_language(request.headers.get("accept-language"))
        fmt = request_format(request)
        if fmt is None:
            return unknown_format(language)
        token: str = request.path_params["token"]
        code = await open311_requests.code_for_token(db, token)
        if code is None:
            raise ProblemError(
                404,
                "not_found",
                Message("Không có yêu cầu nào với token này", "No service request has this token"),
            )
        return render(fmt, "service_requests", [Open311Token(service_request_id=code, token=token)])

    @router.get(
        "/servicerequestupdates.{format}",
        response_model=Open311Updates,
        dependencies=[deps.public],
        summary="Open311 service request updates (FixMyStreet extension): public status changes",
        **UPDATES_DOC,
    )
    async def list_updates(
        request: Request,
        db: Annotated[AsyncSession, Depends(deps.session)],
        settings: Annotated[Settings, Depends(deps.settings)],
    ) -> Response:
        language = pick_language(request.headers.get("accept-language"))
        fmt = request_format(request)
        if fmt is None:
            return unknown_format(language)
        params = request.query_params
        start, end = open311_requests.date_window(
            params.get("start_date"),
            params.get("end_date"),
            now=datetime.now(UTC),
            default=UPDATES_WINDOW,
            longest=open311_requests.REQUESTS_WINDOW,
        )
        page = open311_requests.parse_int("page", params.get("page"), default=1, low=1, high=MAX_PAGE)
        page_size = open311_requests.parse_int(
            "page_size", params.get("page_size"), default=DEFAULT_UPDATES_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE
        )
        rows = await open311_requests.list_updates(db, start, end, page=page, page_size=page_size)
        return _updates(
            fmt,
            open311_requests.updates_document(
                rows,
                base_url=_base_url(request),
                media_prefix=settings.media_url_prefix,
                language=language,
            ),
        )

    return router
