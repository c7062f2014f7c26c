"""Serving stored photos and camera snapshots, to whoever holds a signed URL.

The URLs the API hands out carry an expiry and a signature (core/media/signing.py): the signature is the
capability, given only to callers allowed to see the report or device, so the route itself needs no sign-in
(an <img> tag sends no bearer token). A public report's photo is signed for ever and served
`public, immutable` (a key names its bytes, so the answer never changes); anything else expires within two
hours and is served `private` for the seconds it has left, so shared caches never keep it. A missing,
tampered or expired signature is the same plain 404 as a missing file or a key outside the storage's
pattern: no answer tells whether a file exists. In production a web server may serve the public files
directly; this route keeps a single process self-sufficient.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from core.errors import Message, ProblemError
from core.http import policies
from core.http.deps import SettingsDep
from core.http.responses import PUBLIC_OPENAPI, problem, responses
from core.media import InvalidMediaKeyError, MediaNotFoundError, get_async, media_storage
from core.media.signing import NEVER, SIGNATURE_LENGTH, derive_key, seconds_left, verify
from core.media.storage import EXTENSIONS, check_key

router = APIRouter(tags=["media"])

CONTENT_TYPES = {extension: content_type for content_type, extension in EXTENSIONS.items()}
CACHE_CONTROL = "public, max-age=31536000, immutable"
IMAGE_CONTENT: dict[str, Any] = {
    content_type: {"schema": {"type": "string", "format": "binary"}} for content_type in EXTENSIONS
}
MEDIA_NOT_FOUND = responses(
    {200: {"description": "The photo", "content": IMAGE_CONTENT}},
    problem(
        404, "No stored photo has this key, or its signature is missing, wrong or expired (code not_found)"
    ),
)

MediaKey = Annotated[
    str, Path(description="The key from a photo's url, e.g. ab/cd/<sha256>.jpg", max_length=200)
]
# Text, not an integer: a malformed expiry is the same 404 as a wrong signature, not a validation problem.
Expires = Annotated[
    str | None,
    Query(
        alias="exp",
        max_length=12,
        description="From the photo's url: when the URL expires (Unix seconds), 0 for never.",
    ),
]
Signature = Annotated[
    str | None,
    Query(alias="sig", max_length=SIGNATURE_LENGTH, description="From the photo's url: its signature."),
]


def _not_found() -> ProblemError:
    return ProblemError(404, "not_found", Message("Không tìm thấy ảnh", "No such photo"))


@router.get(
    "/media/{key:path}",
    response_class=Response,
    summary="A stored photo, thumbnail or camera snapshot, by its signed URL",
    responses=MEDIA_NOT_FOUND,
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[policies.PUBLIC],
)
async def get_media(
    key: MediaKey, settings: SettingsDep, exp: Expires = None, sig: Signature = None
) -> Response:
    now = datetime.now(UTC)
    if exp is None or sig is None or not exp.isascii() or not exp.isdigit():
        raise _not_found()
    expires = int(exp)
    if not verify(derive_key(settings.secret_key.get_secret_value()), key, expires, sig, now):
        raise _not_found()
    try:
        checked = check_key(key)
        data = await get_async(media_storage(settings), checked)
    except (InvalidMediaKeyError, MediaNotFoundError) as error:
        raise _not_found() from error
    content_type = CONTENT_TYPES[checked.rsplit(".", 1)[1]]
    cache = CACHE_CONTROL if expires == NEVER else f"private, max-age={seconds_left(expires, now)}"
    return Response(
        data,
        media_type=content_type,
        headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
    )
