"""The lean routes (core.http.lean) served ahead of FastAPI's router, as one pure ASGI middleware.

It sits inside the observability and body-limit middleware, so that a lean route has its request id, its
metrics and access log line and its bounded body like every other route, and outside FastAPI's own exception
middleware, whose handlers it calls for the errors a route raises (ProblemError, a bad body, a 400): the same
problem+json as anywhere else. Anything else it lets through to the outermost handler, which logs it and
answers 500.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from core.errors import ProblemError
from core.http.lean import LeanRoute

_HANDLED = (ProblemError, RequestValidationError, HTTPException)


def _exception_handler(scope: Scope, exc: Exception) -> Callable[..., Any]:
    # The application's handler for the nearest class of `exc`, as Starlette looks it up.
    handlers = scope["app"].exception_handlers
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]  # type: ignore[no-any-return]
    raise exc


class LeanRoutesMiddleware:
    def __init__(self, app: ASGIApp, routes: Iterable[LeanRoute]) -> None:
        self.app = app
        self.routes = {(route.method, route.path): route for route in routes}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self.routes.get((scope["method"], scope["path"])) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        scope["route"] = route
        request = Request(scope, receive)
        try:
            response = await route.handler(request)
        except _HANDLED as exc:
            response = await _exception_handler(scope, exc)(request, exc)
        except ClientDisconnect:
            return  # nobody is left to answer
        await response(scope, receive, send)
