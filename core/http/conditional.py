"""Conditional answers to public reads (RFC 9110 section 13): an ETag made from the body, and 304 Not
Modified when the client sends it back in If-None-Match. A poll then costs the client almost nothing."""

from __future__ import annotations

import hashlib

from fastapi import Request, Response

from core.http.responses import Responses

NOT_MODIFIED: Responses = {
    304: {"description": "Not modified: the ETag or date the client sent is still current."}
}


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str, etag: str) -> bool:
    if if_none_match.strip() == "*":
        return True
    # Weak comparison: W/"x" and "x" name the same representation.
    return any(tag.strip().removeprefix("W/") == etag for tag in if_none_match.split(","))


def cached(request: Request, body: bytes, *, media_type: str, cache_control: str) -> Response:
    """The body with its ETag and Cache-Control, or a 304 when the client already has it."""
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None and etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)
