"""Request bodies bounded while they stream in, as one pure ASGI middleware.

Every request body is counted as the server hands it to the app, and refused with 413 payload_too_large as
soon as it passes the limit of its kind, whoever the caller is: parsers and policies (an Open311 key in a
form, a multipart upload) read bodies before the caller is known, so the bound must come first. A body that
announces too much in Content-Length is refused before the app runs at all.

Kinds: a photo upload (multipart/form-data on a route listed in PHOTO_ROUTES) may carry its photos plus a
little slack; an agency's batch (a route listed in BATCH_ROUTES) a few megabytes; a form
(application/x-www-form-urlencoded) and everything else, JSON included, are small.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import PROBLEM_CONTENT_TYPE, pick_language, problem_body
from core.errors import Message as Text
from core.settings import Settings
from feedback.reports.models import MAX_PHOTOS

# Routes that accept photos in a multipart body, and how many a request may carry.
PHOTO_ROUTES: Mapping[tuple[str, str], int] = {
    ("POST", "/api/v1/feedback"): MAX_PHOTOS,
    ("POST", "/api/v1/feedback/photos"): 1,
    ("POST", "/api/v1/dispatch/photos"): 1,
}


# Agencies' batch routes: a sync call carries hundreds of items, each a small JSON object.
BATCH_ROUTES: frozenset[tuple[str, str]] = frozenset(
    {("POST", "/api/v1/dossiers/sync"), ("POST", "/api/v1/dossiers/sync/procedures")}
)


class BodyTooLargeError(Exception):
    """Raised into the app by `receive` once the body passed its limit; the middleware answers 413."""


@dataclass(frozen=True, slots=True)
class BodyLimits:
    json_bytes: int
    form_bytes: int
    photo_bytes: int
    slack_bytes: int
    batch_bytes: int

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        return cls(
            json_bytes=settings.http_json_max_bytes,
            form_bytes=settings.http_form_max_bytes,
            photo_bytes=settings.media_max_bytes,
            slack_bytes=settings.http_multipart_slack_bytes,
            batch_bytes=settings.http_batch_max_bytes,
        )

    def for_request(self, method: str, path: str, content_type: str) -> int:
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type == "multipart/form-data" and (photos := PHOTO_ROUTES.get((method, path))):
            return photos * self.photo_bytes + self.slack_bytes
        if media_type == "application/x-www-form-urlencoded":
            return self.form_bytes
        if (method, path) in BATCH_ROUTES:
            return self.batch_bytes
        return self.json_bytes


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _announced_length(scope: Scope) -> int | None:
    raw = _header(scope, b"content-length")
    # The server has already refused a malformed Content-Length; anything else here is no announcement.
    return int(raw) if raw is not None and raw.isascii() and raw.isdigit() else None


async def _send_too_large(scope: Scope, send: Send, limit: int) -> None:
    body = problem_body(
        status=413,
        code="payload_too_large",
        language=pick_language(_header(scope, b"accept-language")),
        detail=Text(
            f"Nội dung gửi lên vượt quá {limit} byte cho phép",
            f"The request body is larger than the {limit} bytes allowed",
        ),
        instance=scope["path"],
        request_id=scope.get("state", {}).get("request_id"),
        extensions={"max_bytes": limit},
    )
    payload = json.dumps(body, ensure_ascii=False).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(payload)).encode()),
                # The rest of the body will not be read: the connection cannot carry another request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload, "more_body": False})


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.limits = BodyLimits.from_settings(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_request(scope["method"], scope["path"], _header(scope, b"content-type") or "")
        announced = _announced_length(scope)
        if announced is not None and announced > limit:
            await _send_too_large(scope, send, limit)
            return

        received = 0
        refused = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                raise BodyTooLargeError
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    raise BodyTooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                # Whatever the app answers after the refusal (a parser's 400, a policy's 401, a swallowed
                # error's 500), the caller is told the one thing that is true: the body was too large.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _send_too_large(scope, send, limit)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        # Answered below, or already answered in place of the app's own response.
        with contextlib.suppress(BodyTooLargeError):
            await self.app(scope, counted_receive, guarded_send)
        if refused and not started:
            await _send_too_large(scope, send, limit)
