"""Sign-in, tokens, the caller's own account, and the admin's staff accounts and API keys."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from api.problems import problem_response
from core.errors import ProblemError
from core.http.deps import ResourcesDep, SessionDep, SettingsDep
from core.http.policies import PUBLIC, Admin, Authenticated, Citizen
from core.http.responses import PUBLIC_OPENAPI, UNAUTHENTICATED, Responses, problem, responses
from core.identity import api_keys, service
from core.identity.principal import Role
from core.identity.ratelimit import RateLimiter
from core.identity.refresh import PersistentRefusalError
from core.identity.schemas import (
    Account,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeySummary,
    CodeRequest,
    CodeSent,
    CodeVerification,
    PersonalDataExport,
    RefreshRequest,
    StaffAccount,
    StaffCreate,
    StaffLogin,
    TokenPair,
)
from core.identity.sms import SmsSender, sender_from_settings

router = APIRouter()

RATE_LIMITED: Responses = {
    429: {
        "description": "Too many attempts (code rate_limited); `retry_after` and the Retry-After "
        "header say when to try again",
        "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
    }
}
ADMIN_ONLY = responses(UNAUTHENTICATED, problem(403, "Only admins may do this (code forbidden)"))
SESSION_CHECK = problem(503, "Sessions cannot be checked or ended right now (code session_check_unavailable)")
ACCOUNT_GONE = problem(404, "The account was deleted (code account_not_found)")
# FastAPI refuses a body that is not UTF-8 with a 400 before any route code runs.
UNREADABLE = "the body is not UTF-8 JSON (code http_error)"
UNREADABLE_BODY = problem(400, f"The request cannot be read: {UNREADABLE}")


async def get_now() -> datetime:
    """The current time; a dependency so that tests can move the clock (code expiry, token expiry).
    Like every dependency here, `async def` keeps it off FastAPI's thread pool."""
    return datetime.now(UTC)


async def get_limiter(resources: ResourcesDep) -> RateLimiter:
    return RateLimiter(resources.redis)


async def get_sms_sender(settings: SettingsDep) -> SmsSender:
    return sender_from_settings(settings)


Now = Annotated[datetime, Depends(get_now)]
Limiter = Annotated[RateLimiter, Depends(get_limiter)]
Sender = Annotated[SmsSender, Depends(get_sms_sender)]


def client_ip(request: Request) -> str:
    # The peer address. Behind a reverse proxy that is the proxy, unless uvicorn runs with --proxy-headers and
    # --forwarded-allow-ips naming the proxy (then uvicorn puts the real client here). X-Forwarded-For is not
    # read here: any client can send one, and it would let anyone pick their own rate-limit bucket.
    return request.client.host if request.client else "unknown"


def _kept(request: Request, refusal: ProblemError) -> JSONResponse:
    """Answer a refusal without raising it: the request's unit of work then commits the bookkeeping it
    recorded (a counted wrong code, a revoked token family) instead of rolling it back."""
    return problem_response(
        request,
        status=refusal.status,
        code=refusal.code,
        detail=refusal.detail,
        extensions=refusal.extensions,
        headers=refusal.headers or None,
    )


# Sign-in ----------------------------------------------------------------------------------------------------


@router.post(
    "/api/v1/auth/otp/request",
    tags=["auth"],
    dependencies=[PUBLIC],
    openapi_extra=PUBLIC_OPENAPI,
    status_code=status.HTTP_202_ACCEPTED,
    response_model=CodeSent,
    summary="Send a sign-in code by text message to a citizen's phone",
    description="The answer is the same whether or not the number has an account. Limited per number and "
    "per client address.",
    responses=responses(
        problem(400, f"Not a Vietnamese mobile number (code invalid_phone), or {UNREADABLE}"),
        RATE_LIMITED,
        problem(503, "The text message could not be sent (code sms_unavailable)"),
    ),
)
async def request_code(
    body: CodeRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: Limiter,
    sender: Sender,
    now: Now,
) -> CodeSent:
    expires_in = await service.request_code(
        session, settings, limiter, sender, phone=body.phone, client_ip=client_ip(request), now=now
    )
    return CodeSent(expires_in=expires_in)


@router.post(
    "/api/v1/auth/otp/verify",
    tags=["auth"],
    dependencies=[PUBLIC],
    openapi_extra=PUBLIC_OPENAPI,
    response_model=TokenPair,
    summary="Sign a citizen in with the code they received (the account is created at the first sign-in)",
    responses=responses(
        problem(
            400,
            "Invalid number or code (code invalid_phone, otp_invalid with `attempts_left`, "
            f"otp_expired or otp_attempts_exceeded), or {UNREADABLE}",
        ),
        problem(403, "The number belongs to an account that cannot sign in by code (code forbidden)"),
        problem(409, "The account was being created by another request (code conflict)"),
        RATE_LIMITED,
    ),
)
async def verify_code(
    body: CodeVerification,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    limiter: Limiter,
    now: Now,
) -> TokenPair | JSONResponse:
    try:
        tokens = await service.verify_code(
            session,
            settings,
            limiter,
            phone=body.phone,
            code=body.code,
            client_ip=client_ip(request),
            now=now,
        )
    except PersistentRefusalError as refusal:
        return _kept(request, refusal)
    return TokenPair.of(tokens, now)


@router.post(
    "/api/v1/auth/login",
    tags=["auth"],
    dependencies=[PUBLIC],
    openapi_extra=PUBLIC_OPENAPI,
    response_model=TokenPair,
    summary="Sign a staff member in with username and password",
    description="Limited per username and per client address; only failed attempts count.",
    responses=responses(
        UNREADABLE_BODY,
        problem(401, "Wrong username or password (code invalid_credentials)"),
        RATE_LIMITED,
    ),
)
async def login(
    body: StaffLogin, request: Request, session: SessionDep, settings: SettingsDep, limiter: Limiter, now: Now
) -> TokenPair:
    tokens = await service.staff_login(
        session,
        settings,
        limiter,
        username=body.username,
        password=body.password,
        client_ip=client_ip(request),
        now=now,
    )
    return TokenPair.of(tokens, now)


@router.post(
    "/api/v1/auth/refresh",
    tags=["auth"],
    dependencies=[PUBLIC],
    openapi_extra=PUBLIC_OPENAPI,
    response_model=TokenPair,
    summary="Exchange a refresh token for a new token pair (the refresh token is rotated)",
    description="Presenting a refresh token that was already exchanged revokes every token of that sign-in.",
    responses=responses(
        UNREADABLE_BODY,
        problem(
            401,
            "Unknown, expired or revoked refresh token (code refresh_token_invalid), "
            "or one already used (code refresh_token_reused)",
        ),
    ),
)
async def refresh(
    body: RefreshRequest,
    request: Request,
    session: SessionDep,
    resources: ResourcesDep,
    settings: SettingsDep,
    now: Now,
) -> TokenPair | JSONResponse:
    try:
        tokens = await service.refresh(session, resources.redis, settings, token=body.refresh_token, now=now)
    except PersistentRefusalError as refusal:
        return _kept(request, refusal)
    return TokenPair.of(tokens, now)


@router.post(
    "/api/v1/auth/logout",
    tags=["auth"],
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Sign out: revoke the refresh token and every token of the same sign-in",
    responses=responses(
        problem(400, f"Not one of the caller's refresh tokens (code refresh_token_invalid), or {UNREADABLE}"),
        UNAUTHENTICATED,
        SESSION_CHECK,
    ),
)
async def logout(
    body: RefreshRequest,
    principal: Authenticated,
    session: SessionDep,
    resources: ResourcesDep,
    settings: SettingsDep,
    now: Now,
) -> Response:
    await service.logout(session, resources.redis, settings, principal, token=body.refresh_token, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# The caller's own account -----------------------------------------------------------------------------------


@router.get(
    "/api/v1/me",
    tags=["account"],
    response_model=Account,
    summary="The caller's account",
    responses=responses(UNAUTHENTICATED, ACCOUNT_GONE),
)
async def me(principal: Authenticated, session: SessionDep) -> Account:
    return Account.of(await service.account(session, principal))


@router.get(
    "/api/v1/me/data",
    tags=["account"],
    response_model=PersonalDataExport,
    summary="Every piece of personal data the accounts service holds about the caller",
    responses=responses(UNAUTHENTICATED, ACCOUNT_GONE),
)
async def my_data(principal: Authenticated, session: SessionDep, now: Now) -> PersonalDataExport:
    return PersonalDataExport.of(await service.personal_data(session, principal), now)


@router.delete(
    "/api/v1/me",
    tags=["account"],
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Delete the caller's citizen account",
    description="Personal data is erased and every session ends. Reports the citizen filed stay, with an "
    "anonymous author.",
    responses=responses(
        UNAUTHENTICATED,
        problem(403, "Only citizens delete their own account (code forbidden)"),
        ACCOUNT_GONE,
    ),
)
async def delete_me(principal: Citizen, session: SessionDep, resources: ResourcesDep, now: Now) -> Response:
    await service.delete_account(session, resources.redis, resources.settings, principal, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


# Admin: staff accounts and API keys -------------------------------------------------------------------------


@router.post(
    "/api/v1/admin/staff",
    tags=["admin"],
    status_code=status.HTTP_201_CREATED,
    response_model=StaffAccount,
    summary="Create a staff account (officer, field staff or admin)",
    responses=responses(
        ADMIN_ONLY,
        problem(400, f"No unit has this code (code unit_not_found), or {UNREADABLE}"),
        problem(409, "The username is taken (code conflict)"),
    ),
)
async def create_staff(body: StaffCreate, _: Admin, session: SessionDep, now: Now) -> StaffAccount:
    user = await service.create_staff(
        session,
        username=body.username,
        password=body.password,
        role=Role(body.role),
        unit_code=body.unit_code,
        display_name=body.display_name,
        now=now,
    )
    return StaffAccount.of(user)


@router.get(
    "/api/v1/admin/staff",
    tags=["admin"],
    response_model=list[StaffAccount],
    summary="List staff accounts",
    responses=ADMIN_ONLY,
)
async def list_staff(_: Admin, session: SessionDep) -> list[StaffAccount]:
    return StaffAccount.many(await service.list_staff(session))


@router.post(
    "/api/v1/admin/api-keys",
    tags=["admin"],
    status_code=status.HTTP_201_CREATED,
    response_model=ApiKeyCreated,
    summary="Create an API key for an agency system or an integration; the key is shown only in this answer",
    responses=responses(UNREADABLE_BODY, ADMIN_ONLY),
)
async def create_api_key(body: ApiKeyCreate, admin: Admin, session: SessionDep, now: Now) -> ApiKeyCreated:
    created = await api_keys.create_api_key(
        session, name=body.name, scopes=body.scopes, created_by=admin.user_id, now=now
    )
    return ApiKeyCreated.of_created(created)


@router.get(
    "/api/v1/admin/api-keys",
    tags=["admin"],
    response_model=list[ApiKeySummary],
    summary="List API keys (never the keys themselves)",
    responses=ADMIN_ONLY,
)
async def list_api_keys(_: Admin, session: SessionDep) -> list[ApiKeySummary]:
    return [ApiKeySummary.of(key) for key in await api_keys.list_api_keys(session)]


@router.delete(
    "/api/v1/admin/api-keys/{key_id}",
    tags=["admin"],
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    summary="Revoke an API key",
    responses=responses(ADMIN_ONLY, problem(404, "No API key has this id (code not_found)")),
)
async def revoke_api_key(key_id: uuid.UUID, _: Admin, session: SessionDep, now: Now) -> Response:
    await api_keys.revoke_api_key(session, key_id, now=now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
