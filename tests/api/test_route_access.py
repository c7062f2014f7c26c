"""Deny by default: every route of the real app, HTTP and WebSocket, declares exactly one policy, and every
non-public route really refuses a caller without credentials."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, WebSocket

from api.app import create_app
from api.route_access import UNGUARDED_PATHS, route_access
from core.http.policies import (
    AUTH_IN_FIRST_MESSAGE,
    PUBLIC,
    Authenticated,
    VisibleUnits,
    require_api_key,
    require_roles,
)
from core.identity.principal import Principal, Role
from core.settings import Settings

# The app has at least this many routes today; a walk that finds fewer has stopped seeing some of them.
MINIMUM_ROUTES = 20
NO_CREDENTIALS_ANSWERS = {"unauthenticated", "api_key_invalid"}


def test_every_route_of_the_app_declares_exactly_one_policy(settings: Settings) -> None:
    routes = route_access(create_app(settings))

    problems = [
        f"{' '.join(route.methods)} {route.path}: "
        + (
            f"{len(route.policies)} policies ({', '.join(p.name for p in route.policies)})"
            if route.policies
            else "no policy"
        )
        for route in routes
        if len(route.policies) != 1 and route.unguarded_reason is None
    ]

    assert not problems, "routes must declare exactly one policy (core/http/policies.py):\n" + "\n".join(
        problems
    )
    assert len(routes) >= MINIMUM_ROUTES, [route.path for route in routes]
    paths = {route.path for route in routes}
    # Routes of included routers and of the app itself are both seen.
    assert {
        "/health",
        "/api/v1/units/{code}",
        "/api/v1/auth/login",
        "/api/v1/admin/api-keys/{key_id}",
        "/docs",
    } <= paths


def test_the_allow_list_names_only_existing_routes_without_a_policy(settings: Settings) -> None:
    routes = {route.path: route for route in route_access(create_app(settings))}
    for path, reason in UNGUARDED_PATHS.items():
        assert path in routes, f"{path} is allowed without a policy but is not a route any more"
        assert routes[path].policies == (), path
        assert reason


def _fill(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


async def test_every_guarded_route_refuses_a_caller_without_credentials(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    checked = 0
    for route in route_access(app):
        if route.methods == ("WS",) or not route.policies or route.policies[0].name == "public":
            continue
        # Guarded only in the production profile (tests/api/test_ops_access.py checks it there).
        if route.policies[0].name.endswith(" in production"):
            continue
        for method in route.methods:
            response = await client.request(method, _fill(route.path), json={})
            assert response.status_code == 401, f"{method} {route.path}: {response.status_code}"
            assert response.json()["code"] in NO_CREDENTIALS_ANSWERS, f"{method} {route.path}"
            checked += 1
    assert checked >= 10


# The walk itself, on a made-up app with every shape of route ------------------------------------------------


def made_up_app() -> FastAPI:
    app = FastAPI()
    inner = APIRouter(prefix="/inner")
    outer = APIRouter(prefix="/outer")

    @inner.get("/by-include")
    async def by_include() -> None: ...

    @inner.get("/unguarded")
    async def unguarded_inner() -> None: ...

    outer.include_router(inner)
    app.include_router(outer, dependencies=[PUBLIC])

    plain = APIRouter()

    @plain.get("/nothing")
    async def nothing() -> None: ...

    @plain.get("/two", dependencies=[PUBLIC])
    async def two(principal: Authenticated) -> None: ...

    @plain.get("/roles-and-principal", dependencies=[require_roles(Role.ADMIN)])
    async def roles_and_principal(principal: Authenticated) -> None: ...

    @plain.get("/units")
    async def units(visible: VisibleUnits) -> None: ...

    @plain.get("/key")
    async def key(client: Annotated[object, require_api_key("feedback:read")]) -> None: ...

    @plain.get("/two-roles", dependencies=[require_roles(Role.ADMIN), require_roles(Role.OFFICER)])
    async def two_roles() -> None: ...

    @plain.websocket("/ws-open")
    async def ws_open(websocket: WebSocket) -> None: ...

    @plain.websocket("/ws-signed", dependencies=[AUTH_IN_FIRST_MESSAGE])
    async def ws_signed(websocket: WebSocket) -> None: ...

    app.include_router(plain)

    @app.get("/direct")
    async def direct(principal: Annotated[Principal, Depends(lambda: None)]) -> None: ...

    return app


def test_the_walk_sees_every_shape_of_route() -> None:
    found = {route.path: route for route in route_access(made_up_app())}

    def names(path: str) -> list[str]:
        return [policy.name for policy in found[path].policies]

    assert names("/outer/inner/by-include") == ["public"]
    assert names("/outer/inner/unguarded") == ["public"]  # the include's policy covers it
    assert names("/nothing") == []
    assert sorted(names("/two")) == ["authenticated", "public"]
    assert names("/roles-and-principal") == ["roles(admin)"]  # Authenticated is implied by the role policy
    assert names("/units") == ["authenticated"]
    assert names("/key") == ["api_key(feedback:read)"]
    assert sorted(names("/two-roles")) == ["roles(admin)", "roles(officer)"]
    assert names("/ws-open") == []
    assert found["/ws-open"].methods == ("WS",)
    assert names("/ws-signed") == ["token in first message"]
    assert names("/direct") == []
    assert found["/docs"].unguarded_reason is not None


@pytest.mark.parametrize("path", ["/nothing", "/two", "/two-roles", "/ws-open", "/direct"])
def test_the_check_fails_on_each_bad_route(path: str) -> None:
    route = next(route for route in route_access(made_up_app()) if route.path == path)
    assert len(route.policies) != 1
    assert route.unguarded_reason is None
