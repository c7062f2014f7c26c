"""Who may call a route. Deny by default: every route depends on exactly one policy from this module, and
the route walk (api/route_access.py, checked by the tests) fails on a route without one.

Use them as route dependencies:
    @router.get("/x", dependencies=[PUBLIC])                         # anyone, signed in or not
    async def f(principal: Authenticated) -> ...                      # any signed-in user
    async def g(principal: Annotated[Principal, require_roles(Role.OFFICER, Role.ADMIN)]) -> ...
    async def h(client: Annotated[ApiClient, require_api_key("dossiers:sync")]) -> ...
    async def i(client: Annotated[ApiClient | None, optional_api_key("ops:read")]) -> ...  # more with a key
    @router.websocket("/ws", dependencies=[AUTH_IN_FIRST_MESSAGE])     # the socket signs in by itself

A policy used inside another (require_roles builds on Authenticated) is implied by it and not counted twice.
`units: VisibleUnits` gives a route the units the caller may see (scope.ensure_can_see_unit raises 403).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from fastapi.security import APIKeyHeader, APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Message, ProblemError
from core.http import forms
from core.http.deps import ResourcesDep, SessionDep, get_settings_dep
from core.identity import api_keys
from core.identity.api_keys import ApiClient
from core.identity.principal import Principal, Role
from core.identity.revocation import check_unavailable, sessions_ended
from core.identity.scope import UnitScope, unit_scope
from core.identity.tokens import verify_access_token
from core.settings import Profile, Settings

POLICY_ATTRIBUTE = "__smartcity_policy__"
# The parameter GeoReport v2 names for the API key.
OPEN311_KEY_PARAMETER = "api_key"

logger = logging.getLogger("smartcity.policies")

_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/...")
_api_key = APIKeyHeader(
    name=api_keys.HEADER,
    auto_error=False,
    description="A key an admin created at /api/v1/admin/api-keys, for agency systems and integrations.",
)


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    """What a policy allows, for the access table in docs/ and for the route walk."""

    name: str
    who: str
    # Anyone may call, and a caller who sends credentials is known: the document offers "no credentials"
    # beside the credentials the policy reads (api/operations.py).
    optional_credentials: bool = False


def _mark(dependency: Callable[..., Any], name: str, who: str, *, optional_credentials: bool = False) -> None:
    setattr(
        dependency,
        POLICY_ATTRIBUTE,
        PolicyInfo(name=name, who=who, optional_credentials=optional_credentials),
    )


def policy_of(dependency: Callable[..., Any]) -> PolicyInfo | None:
    info = getattr(dependency, POLICY_ATTRIBUTE, None)
    return info if isinstance(info, PolicyInfo) else None


async def _public() -> None:
    """Anyone may call: reference data, health, sign-in."""


_mark(_public, "public", "anyone")
PUBLIC: DependsParam = cast(DependsParam, Depends(_public))


async def _auth_in_first_message() -> None:
    """A WebSocket that accepts the connection, then requires an access token in its first message and
    closes the socket when none arrives in time. The endpoint enforces it; this records the rule."""


_mark(_auth_in_first_message, "token in first message", "any signed-in user (token sent on the socket)")
AUTH_IN_FIRST_MESSAGE: DependsParam = cast(DependsParam, Depends(_auth_in_first_message))


def _principal_from(credentials: HTTPAuthorizationCredentials | None, settings: Settings) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ProblemError(
            401,
            "unauthenticated",
            Message(
                "Cần gửi access token trong header Authorization: Bearer",
                "Send an access token as Authorization: Bearer",
            ),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return verify_access_token(settings, credentials.credentials)


async def _authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    settings: Annotated[Settings, Depends(get_settings_dep)],
    resources: ResourcesDep,
) -> Principal:
    principal = _principal_from(credentials, settings)
    try:
        ended = await sessions_ended(resources.redis, principal)
    except (RedisError, OSError) as exc:
        # Fail closed for staff: their tokens reach a unit's reports. Open for citizens: their tokens reach
        # their own data for minutes, and refusing them would take the citizens' app down with Redis.
        if principal.is_staff:
            logger.error("cannot check ended sessions; refusing a staff token", exc_info=True)
            raise check_unavailable() from exc
        logger.warning("cannot check ended sessions; accepting a citizen token", exc_info=True)
        ended = False
    if ended:
        raise ProblemError(
            401,
            "invalid_token",
            Message("Phiên đăng nhập đã kết thúc, hãy đăng nhập lại", "The session has ended; sign in again"),
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    request.state.principal = principal
    return principal


_mark(_authenticated, "authenticated", "any signed-in user")
AUTHENTICATED: DependsParam = cast(DependsParam, Depends(_authenticated))
Authenticated = Annotated[Principal, AUTHENTICATED]


async def _optional_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    settings: Annotated[Settings, Depends(get_settings_dep)],
    resources: ResourcesDep,
) -> Principal | None:
    """Anyone may call; a caller who sends a token is known (and a bad token is still refused with 401)."""
    if credentials is None:
        return None
    return await _authenticated(request, credentials, settings, resources)


_mark(_optional_principal, "public", "anyone (signed-in callers may see more)", optional_credentials=True)
OPTIONAL_PRINCIPAL: DependsParam = cast(DependsParam, Depends(_optional_principal))
OptionalPrincipal = Annotated[Principal | None, OPTIONAL_PRINCIPAL]


def require_roles(*roles: Role) -> DependsParam:
    """A policy allowing only the given roles (403 forbidden for others)."""
    allowed = frozenset(roles)

    async def _with_role(principal: Authenticated) -> Principal:
        if principal.role not in allowed:
            raise ProblemError(
                403,
                "forbidden",
                Message(
                    "Vai trò của bạn không được phép thực hiện thao tác này", "Your role may not do this"
                ),
            )
        return principal

    names = ", ".join(sorted(role.value for role in allowed))
    _mark(_with_role, f"roles({names})", names)
    return cast(DependsParam, Depends(_with_role))


def _known_scope(scope: str) -> None:
    # At import time: a misspelt scope must stop the app, not refuse every key.
    if scope not in api_keys.SCOPES:
        raise ValueError(f"unknown API key scope {scope!r}: add it to core.identity.api_keys.SCOPES")


def require_api_key(scope: str) -> DependsParam:
    """A policy for agency systems and integrations: a live API key (header X-API-Key) with `scope`.

    401 api_key_invalid without a live key, 403 insufficient_scope when the key lacks the scope.
    """
    _known_scope(scope)

    async def _with_scope(
        request: Request, key: Annotated[str | None, Depends(_api_key)], session: SessionDep
    ) -> ApiClient:
        return await _client_with_scope(request, session, key, scope)

    _mark(_with_scope, f"api_key({scope})", f"an integration whose API key has the scope {scope}")
    return cast(DependsParam, Depends(_with_scope))


async def _client_with_scope(
    request: Request, session: AsyncSession, key: str | None, scope: str
) -> ApiClient:
    """The client of a live `key` that has `scope` (401 api_key_invalid, 403 insufficient_scope)."""
    client = await api_keys.verify_api_key(session, key, now=datetime.now(UTC))
    api_keys.ensure_scope(client, scope)
    request.state.api_client = client
    return client


def optional_api_key(scope: str) -> DependsParam:
    """Anyone may call; a caller who sends an API key with `scope` sees more (a bad key is still refused with
    401 api_key_invalid, a key without the scope with 403 insufficient_scope). Depend on it as
    `client: Annotated[ApiClient | None, optional_api_key(scope)]`."""
    _known_scope(scope)

    async def _with_optional_key(
        request: Request, key: Annotated[str | None, Depends(_api_key)], session: SessionDep
    ) -> ApiClient | None:
        if key is None:
            return None
        return await _client_with_scope(request, session, key, scope)

    _mark(
        _with_optional_key,
        "public",
        f"anyone (an API key with the scope {scope} sees more)",
        optional_credentials=True,
    )
    return cast(DependsParam, Depends(_with_optional_key))


def require_api_key_in_production(scope: str) -> DependsParam:
    """require_api_key(scope) in the production profile; anyone in development and test, where the local
    stack and the tests read the route without a key."""
    _known_scope(scope)

    async def _with_scope_in_production(
        request: Request,
        key: Annotated[str | None, Depends(_api_key)],
        settings: Annotated[Settings, Depends(get_settings_dep)],
        session: SessionDep,
    ) -> ApiClient | None:
        if settings.profile is not Profile.PRODUCTION:
            return None
        return await _client_with_scope(request, session, key, scope)

    _mark(
        _with_scope_in_production,
        f"api_key({scope}) in production",
        f"in production an integration whose API key has the scope {scope}; anyone in development and test",
    )
    return cast(DependsParam, Depends(_with_scope_in_production))


_api_key_parameter = APIKeyQuery(
    name=OPEN311_KEY_PARAMETER,
    auto_error=False,
    description="The API key as Open311 GeoReport v2 clients send it (also accepted as a form field).",
)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def _form_api_key(request: Request) -> str | None:
    if not request.headers.get("content-type", "").lower().startswith(_FORM_TYPES):
        return None
    try:
        # Starlette keeps the parsed form, so the route reads the same one again at no cost.
        value = (await forms.read_form(request)).get(OPEN311_KEY_PARAMETER)
    except Exception:  # an unreadable body carries no key; the route refuses the body itself
        return None
    return value if isinstance(value, str) else None


def require_open311_api_key(scope: str) -> DependsParam:
    """require_api_key for Open311 GeoReport v2 clients, which send the key as the spec's `api_key` form
    field or query parameter: the X-API-Key header first, then the query string, then the form body.

    Same refusals (401 api_key_invalid, 403 insufficient_scope); the Open311 routes restate them in the
    spec's error format.
    """
    _known_scope(scope)

    async def _with_scope_or_parameter(
        request: Request,
        header: Annotated[str | None, Depends(_api_key)],
        parameter: Annotated[str | None, Depends(_api_key_parameter)],
        session: SessionDep,
    ) -> ApiClient:
        key = header or parameter or await _form_api_key(request)
        return await _client_with_scope(request, session, key, scope)

    _mark(
        _with_scope_or_parameter,
        f"api_key({scope})",
        f"an integration whose API key (header or api_key parameter) has the scope {scope}",
    )
    return cast(DependsParam, Depends(_with_scope_or_parameter))


async def _visible_units(principal: Authenticated, session: SessionDep) -> UnitScope:
    return await unit_scope(session, principal)


# Not a policy itself: it builds on Authenticated, so a route using it alone is for any signed-in user.
VisibleUnits = Annotated[UnitScope, Depends(_visible_units)]


# The role policies the domains use, built once so that every route names the same objects.
CITIZEN = require_roles(Role.CITIZEN)
STAFF = require_roles(Role.OFFICER, Role.FIELD_STAFF, Role.ADMIN)
OFFICER = require_roles(Role.OFFICER, Role.ADMIN)
ADMIN = require_roles(Role.ADMIN)
Citizen = Annotated[Principal, CITIZEN]
Staff = Annotated[Principal, STAFF]
Officer = Annotated[Principal, OFFICER]
Admin = Annotated[Principal, ADMIN]
