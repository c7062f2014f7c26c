"""The route walk: every route of the app with the policies it declares (core/http/policies.py).

Deny by default is checked here: the tests walk the app and fail on a route without exactly one policy, and
`smartcity access-table` writes docs/access.md from the same walk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts

from core.http.policies import PolicyInfo, policy_of

# Routes that answer without any policy, each with the reason. Only Starlette's own routes belong here (they
# cannot take dependencies); the route walk fails on any other route without a policy, and on an entry here
# that no longer matches a route.
UNGUARDED_PATHS: Mapping[str, str] = {
    "/openapi.json": "the published API description; it holds no data",
    "/docs": "Swagger UI, a page over /openapi.json",
    "/docs/oauth2-redirect": "Swagger UI's sign-in helper page",
    "/redoc": "ReDoc, a page over /openapi.json",
}


@dataclass(frozen=True, slots=True)
class RouteAccess:
    """One route of an app and the policies it declares."""

    methods: tuple[str, ...]  # ("WS",) for a WebSocket
    path: str
    policies: tuple[PolicyInfo, ...]
    # Why the route has no policy, when it is in UNGUARDED_PATHS; None otherwise.
    unguarded_reason: str | None = None


def declared_policies(dependant: Dependant) -> tuple[PolicyInfo, ...]:
    """The policies a route depends on, leaving out those only used inside another policy."""
    found: list[Callable[..., Any]] = []
    implied: set[Callable[..., Any]] = set()

    def walk(node: Dependant, inside_policy: bool) -> None:
        for sub in node.dependencies:
            call = sub.call
            marked = call is not None and policy_of(call) is not None
            if marked and call is not None:
                (implied.add(call) if inside_policy else found.append(call))
            walk(sub, inside_policy or marked)

    walk(dependant, False)
    unique = dict.fromkeys(call for call in found if call not in implied)
    return tuple(info for call in unique if (info := policy_of(call)) is not None)


def _routes(app: FastAPI) -> Iterator[tuple[Any, Dependant | None]]:
    # iter_route_contexts sees through included routers (FastAPI wraps them in _IncludedRouter) and gives each
    # route's effective dependant, with the dependencies of every include_router() on the way.
    for context in iter_route_contexts(app.routes):
        original = context.original_route
        if isinstance(original, APIRoute | APIWebSocketRoute):
            yield context, cast(Dependant, context.dependant)
        else:
            yield context, None


def route_access(app: FastAPI) -> list[RouteAccess]:
    """Every route of `app` (HTTP and WebSocket) with its declared policies, sorted by path."""
    table: list[RouteAccess] = []
    for context, dependant in _routes(app):
        path = str(context.path_format or context.path)
        is_socket = isinstance(context.original_route, APIWebSocketRoute) or context.methods is None
        methods = ("WS",) if is_socket else tuple(sorted(set(context.methods or ()) - {"HEAD"}))
        if dependant is None:
            table.append(RouteAccess(methods, path, (), UNGUARDED_PATHS.get(path)))
        else:
            table.append(RouteAccess(methods, path, declared_policies(dependant)))
    return sorted(table, key=lambda route: (route.path, route.methods))
