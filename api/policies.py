"""Who may call a route. Deny by default: every route depends on exactly one policy from this module, and
tests/api/test_policies.py walks the app and fails on a route without one.

Use them as route dependencies:
    @router.get("/x", dependencies=[PUBLIC])                         # anyone, signed in or not
    async def f(principal: Authenticated) -> ...                      # any signed-in user
    async def g(principal: Annotated[Principal, require_roles(Role.OFFICER, Role.ADMIN)]) -> ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.deps import get_settings_dep
from core.errors import Message, ProblemError
from core.identity.principal import Principal, Role
from core.identity.tokens import verify_access_token
from core.settings import Settings

POLICY_ATTRIBUTE = "__smartcity_policy__"

_bearer = HTTPBearer(auto_error=False, description="An access token from /api/v1/auth/...")


@dataclass(frozen=True, slots=True)
class PolicyInfo:
    """What a policy allows, for the access table in docs/ and for the route walk."""

    name: str
    who: str


def _mark(dependency: Callable[..., Any], name: str, who: str) -> None:
    setattr(dependency, POLICY_ATTRIBUTE, PolicyInfo(name=name, who=who))


def policy_of(dependency: Callable[..., Any]) -> PolicyInfo | None:
    info = getattr(dependency, POLICY_ATTRIBUTE, None)
    return info if isinstance(info, PolicyInfo) else None


async def _public() -> None:
    """Anyone may call: reference data, health, sign-in."""


_mark(_public, "public", "anyone")
PUBLIC: DependsParam = cast(DependsParam, Depends(_public))


def _principal_from(credentials: HTTPAuthorizationCredentials | None, settings: Settings) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ProblemError(
            401, "unauthenticated",
            Message("Cần gửi access token trong header Authorization: Bearer",
                    "Send an access token as Authorization: Bearer"),
            headers={"WWW-Authenticate": "Bearer"},
        )
    return verify_access_token(settings, credentials.credentials)


async def _authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    settings: Annotated[Settings, Depends(get_settings_dep)],
) -> Principal:
    principal = _principal_from(credentials, settings)
    request.state.principal = principal
    return principal


_mark(_authenticated, "authenticated", "any signed-in user")
Authenticated = Annotated[Principal, Depends(_authenticated)]


def require_roles(*roles: Role) -> DependsParam:
    """A policy allowing only the given roles (403 forbidden for others)."""
    allowed = frozenset(roles)

    async def _with_role(principal: Authenticated) -> Principal:
        if principal.role not in allowed:
            raise ProblemError(403, "forbidden", Message(
                "Vai trò của bạn không được phép thực hiện thao tác này", "Your role may not do this"
            ))
        return principal

    names = ", ".join(sorted(role.value for role in allowed))
    _mark(_with_role, f"roles({names})", names)
    return cast(DependsParam, Depends(_with_role))

