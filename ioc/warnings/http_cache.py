"""Conditional answers for the documents aggregators poll (the feed and CAP messages): an ETag from the body,
Last-Modified from the data, and 304 Not Modified when the client already has them (RFC 9110 section 13).

Polling every minute is what alert aggregators do; a 304 costs them and us almost nothing. If-None-Match
wins over If-Modified-Since, as the RFC says.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from fastapi import Request, Response

from core.http.conditional import etag_matches, etag_of

# Short enough that a cancellation or an expiry reaches a polling aggregator within a minute.
CACHE_CONTROL = "public, max-age=60"


def _not_modified_since(if_modified_since: str, last_modified: datetime) -> bool:
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as the RFC asks
    if since.tzinfo is None:
        return False
    return last_modified.replace(microsecond=0) <= since


def conditional(
    request: Request, body: bytes, *, media_type: str, last_modified: datetime | None
) -> Response:
    """The document, or a 304 when the request's validators say the client has it."""
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL}
    if last_modified is not None:
        headers["Last-Modified"] = format_datetime(last_modified.astimezone(UTC), usegmt=True)
    if_none_match = request.headers.get("if-none-match")
    if_modified_since = request.headers.get("if-modified-since")
    if if_none_match is not None:
        fresh = etag_matches(if_none_match, etag)
    else:
        fresh = (
            if_modified_since is not None
            and last_modified is not None
            and _not_modified_since(if_modified_since, last_modified)
        )
    if fresh:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
