"""Serving stored photos: public, immutable blobs under content-addressed keys.

A key names its bytes (a sha256), so a response never changes and may be cached for a year. Keys are checked
against the storage's strict pattern: anything else, including any attempt to leave the media folder, is a
plain 404. In production a web server may serve the same folder directly; this route keeps a single process
self-sufficient.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from core.errors import Message, ProblemError
from core.http import policies
from core.http.deps import SettingsDep
from core.http.responses import PUBLIC_OPENAPI, problem, responses
from core.media import InvalidMediaKeyError, MediaNotFoundError, get_async, media_storage
from core.media.storage import EXTENSIONS, check_key

router = APIRouter(tags=["media"])

CONTENT_TYPES = {extension: content_type for content_type, extension in EXTENSIONS.items()}
CACHE_CONTROL = "public, max-age=31536000, immutable"
IMAGE_CONTENT: dict[str, Any] = {
    content_type: {"schema": {"type": "string", "format": "binary"}} for content_type in EXTENSIONS
}
MEDIA_NOT_FOUND = responses(
    {200: {"description": "The photo", "content": IMAGE_CONTENT}},
    problem(404, "No stored photo has this key (code not_found)"),
)

MediaKey = Annotated[
    str, Path(description="The key from a photo's url, e.g. ab/cd/<sha256>.jpg", max_length=200)
]


def _not_found() -> ProblemError:
    return ProblemError(404, "not_found", Message("Không tìm thấy ảnh", "No such photo"))


@router.get(
    "/media/{key:path}",
    response_class=Response,
    summary="A stored photo or thumbnail",
    responses=MEDIA_NOT_FOUND,
    openapi_extra=PUBLIC_OPENAPI,
    dependencies=[policies.PUBLIC],
)
async def get_media(key: MediaKey, settings: SettingsDep) -> Response:
    try:
        checked = check_key(key)
        data = await get_async(media_storage(settings), checked)
    except (InvalidMediaKeyError, MediaNotFoundError) as error:
        raise _not_found() from error
    content_type = CONTENT_TYPES[checked.rsplit(".", 1)[1]]
    return Response(
        data,
        media_type=content_type,
        headers={
            "Cache-Control": CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
        },
    )
