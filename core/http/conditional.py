"""Conditional answers for documents clients poll or keep (the warnings' feed and CAP messages, the public
calendar): an ETag from the body, Last-Modified from the data when there is one, and 304 Not Modified when
the client already has them (RFC 9110 section 13).

A 304 costs the client and us almost nothing. If-None-Match wins over If-Modified-Since, as the RFC says.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request, Response

from core.http.responses import Responses

NOT_MODIFIED: Responses = {
    304: {"description": "Not modified: the ETag or date the client sent is still current."}
}


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    # Weak comparison: W/"x" and "x" name the same representation.
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def _not_modified_since(if_modified_since: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as the RFC asks
    if since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since


def conditional(
    request: Request, body: bytes, *, media_type: str, last_modified: datetime | None, cache_control: str
) -> Response:
    """The document, or a 304 when the request's validators say the client has it."""
    etag = _etag(body)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
    if_none_match = request.headers.get("if-none-match")
    if_modified_since = request.headers.get("if-modified-since")
    if if_none_match is not None:
        fresh = _matches(if_none_match, etag)
    else:
        fresh = (
            if_modified_since is not None
            and last_modified is not None
            and _not_modified_since(if_modified_since, last_modified)
        )
    if fresh:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
