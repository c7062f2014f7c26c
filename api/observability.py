"""Request ids, access logs and Prometheus metrics, as one pure ASGI middleware (no per-request task)."""

from __future__ import annotations

import logging
import re
import time
import uuid

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.logging import request_id_var

logger = logging.getLogger("smartcity.access")
MEDIA_PATH = "/media/"
MEDIA_LOGGED = "/media/{key}"

REQUESTS = Counter("smartcity_http_requests_total", "HTTP requests served", ["method", "route", "status"])
LATENCY = Histogram(
    "smartcity_http_request_duration_seconds",
    "Time to serve an HTTP request",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

# A client-supplied id is kept only when it is short and harmless to echo into logs and headers.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,128}$")


def _route_template(scope: Scope) -> str:
    """The matched route's path template (set in the scope by the router), so that metrics never get one
    label per URL."""
    route = scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(path) if path else "unmatched"


class ObservabilityMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            logger.info(
                "%s %s %s",
                method,
                _logged_path(scope["path"]),
                status,
                extra={"status": status, "route": route, "duration_ms": round(elapsed * 1000, 2)},
            )
            request_id_var.reset(token)


def _logged_path(path: str) -> str:
    """The path as the log shows it: a media key is what lets anyone fetch a photo, so it never appears."""
    return MEDIA_LOGGED if path.startswith(MEDIA_PATH) else path


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
