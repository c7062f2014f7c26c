"""Open311 GeoReport v2 requests: list, get, post, tokens and servicerequestupdates.

Like the read routes (feedback/open311/routes.py), these answer errors in the spec's own form, in the
requested format, and take no parameter FastAPI validates. Errors raised by the API-key policy happen before
a handler runs, so the routes of this router use Open311Route (feedback/open311/rendering.py), which turns
every ProblemError, the policy's included, into the spec's error document with the spec's statuses.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response

from core.calendar import working_calendar
from core.errors import Message, ProblemError
from core.http import forms
from core.http.deps import SessionDep, SettingsDep
from core.http.policies import PUBLIC, require_open311_api_key
from core.http.read_limits import PUBLIC_READ_LIMIT
from core.identity.api_keys import ApiClient
from core.media.signing import media_urls
from feedback.catalogue import repository as catalogue
from feedback.catalogue.models import CATEGORY_CODE_PATTERN
from feedback.open311 import documents, repository, requests
from feedback.open311 import submission as open311_submission
from feedback.open311.documents import Format
from feedback.open311.openapi import (
    IDEMPOTENCY_HEADER,
    POST_DOC,
    REQUEST_DOC,
    REQUESTS_DOC,
    TOKEN_DOC,
    UPDATES_DOC,
)
from feedback.open311.rendering import Open311JSONResponse, Open311Route, Wanted, render
from feedback.open311.requests import (
    DEFAULT_UPDATES_PAGE_SIZE,
    UPDATE_STATUSES,
    UPDATES_WINDOW,
    Open311Created,
    Open311Request,
    Open311Token,
    Open311Updates,
    bad_request,
)
from feedback.reports.models import IDEMPOTENCY_KEY_MAX_LENGTH
from feedback.reports.status import ReportSource
from feedback.submission.idempotency import Idempotency, api_key_owner, request_hash
from feedback.submission.service import NewReport, submit_report

_IDEMPOTENCY_KEY = re.compile(rf"[\x21-\x7e]{{1,{IDEMPOTENCY_KEY_MAX_LENGTH}}}")
OPEN311_SUBMIT = require_open311_api_key("open311:submit")


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def _form(request: Request) -> list[tuple[str, str]]:
    try:
        form = await forms.read_form(request)
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


router = APIRouter(
    prefix=documents.BASE_PATH,
    tags=["open311"],
    default_response_class=Open311JSONResponse,
    route_class=Open311Route,
)


@router.get(
    "/requests.{format}",
    response_model=list[Open311Request],
    dependencies=[PUBLIC, PUBLIC_READ_LIMIT],
    summary="Open311 service requests: public reports, newest first",
    **REQUESTS_DOC,
)
async def list_requests(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    wanted: Wanted,
) -> Response:
    query = requests.request_query(dict(request.query_params), now=datetime.now(UTC))
    rows = await repository.list_requests(db, query, wanted.language)
    return render(
        wanted.format,
        "service_requests",
        [
            requests.request_document(row, base_url=_base_url(request), media=media_urls(settings))
            for row in rows
        ],
    )


@router.get(
    "/requests/{service_request_id}.{format}",
    response_model=list[Open311Request],
    dependencies=[PUBLIC, PUBLIC_READ_LIMIT],
    summary="Open311 service request: one public report",
    **REQUEST_DOC,
)
async def get_request(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    wanted: Wanted,
) -> Response:
    code: str = request.path_params["service_request_id"]
    row = await repository.get_request(db, code, wanted.language)
    if row is None:
        # Private reports too: their existence is not disclosed.
        raise ProblemError(
            404, "report_not_found", Message(f"Không có yêu cầu {code}", f"No service request {code}")
        )
    return render(
        wanted.format,
        "service_requests",
        [
            requests.request_document(
                row,
                base_url=_base_url(request),
                media=media_urls(settings),
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
    db: SessionDep,
    client: Annotated[ApiClient, OPEN311_SUBMIT],
    wanted: Wanted,
) -> Response:
    submission = open311_submission.parse_submission(await _form(request))
    code = submission.service_code
    category = (
        await catalogue.get_active_category(db, code) if re.fullmatch(CATEGORY_CODE_PATTERN, code) else None
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
        wanted.format,
        "service_requests",
        [
            Open311Created(
                service_request_id=report.code,
                token=report.open311_token or "",
                service_notice=requests.service_notice(report, wanted.language),
                account_id=submission.account_id,
            )
        ],
    )


@router.get(
    "/tokens/{token}.{format}",
    response_model=list[Open311Token],
    dependencies=[PUBLIC, PUBLIC_READ_LIMIT],
    summary="Open311 token: the service request a POST made",
    **TOKEN_DOC,
)
async def get_token(request: Request, db: SessionDep, wanted: Wanted) -> Response:
    token: str = request.path_params["token"]
    code = await repository.code_for_token(db, token)
    if code is None:
        raise ProblemError(
            404,
            "not_found",
            Message("Không có yêu cầu nào với token này", "No service request has this token"),
        )
    return render(wanted.format, "service_requests", [Open311Token(service_request_id=code, token=token)])


@router.get(
    "/servicerequestupdates.{format}",
    response_model=Open311Updates,
    dependencies=[PUBLIC, PUBLIC_READ_LIMIT],
    summary="Open311 service request updates (FixMyStreet extension): public status changes",
    **UPDATES_DOC,
)
async def list_updates(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    wanted: Wanted,
) -> Response:
    params = request.query_params
    start, end = requests.date_window(
        params.get("start_date"),
        params.get("end_date"),
        now=datetime.now(UTC),
        default=UPDATES_WINDOW,
        longest=requests.REQUESTS_WINDOW,
    )
    page, page_size = requests.parse_page(params, default_size=DEFAULT_UPDATES_PAGE_SIZE)
    rows = await repository.list_updates(
        db, start, end, kinds=UPDATE_STATUSES.keys(), page=page, page_size=page_size
    )
    return _updates(
        wanted.format,
        requests.updates_document(
            rows,
            base_url=_base_url(request),
            media=media_urls(settings),
            language=wanted.language,
        ),
    )
