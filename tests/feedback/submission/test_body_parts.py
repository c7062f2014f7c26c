"""Multipart bodies of submissions and uploads: few parts, each bounded while it streams in."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from core.settings import Settings
from tests.feedback.submission.helpers import (
    SUBMIT,
    UPLOAD,
    assert_problem,
    body,
    counts,
    fresh_categories,
    jpeg_with_gps,
)
from tests.support.people import PersonFactory

__all__ = ["fresh_categories"]

BOUNDARY = "parts-test-boundary"
MULTIPART = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
CHUNK = 256 * 1024


def _part_head(name: str, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()


class CountedBody:
    """A multipart body produced as it is read, remembering how much of it the server took."""

    def __init__(self, report: bytes, photo_size: int) -> None:
        self.report = report
        self.photo_size = photo_size
        self.read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield _part_head("report") + self.report + b"\r\n" + _part_head("photos", "big.jpg")
        sent = 0
        while sent < self.photo_size:
            self.read += CHUNK
            sent += CHUNK
            yield b"\xff" * CHUNK
        yield f"\r\n--{BOUNDARY}--\r\n".encode()


async def test_a_photo_part_is_stopped_at_the_photo_limit(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory, settings: Settings
) -> None:
    citizen = await person()
    before = await counts(session)
    # Three photos' worth in one part: within the body limit of five photos, but not a photo.
    content = CountedBody(json.dumps(body()).encode(), 3 * settings.media_max_bytes)
    response = await client.post(SUBMIT, content=content, headers={**MULTIPART, **citizen.headers})
    assert_problem(response, 413, "image_too_large")
    assert content.read <= settings.media_max_bytes + CHUNK
    assert await counts(session) == before


async def test_a_report_field_larger_than_a_json_body_is_413(
    client: httpx.AsyncClient, person: PersonFactory, settings: Settings
) -> None:
    citizen = await person()
    report = json.dumps(body(description="a" * settings.http_json_max_bytes)).encode()
    response = await client.post(SUBMIT, files={"report": (None, report)}, headers=citizen.headers)
    assert_problem(response, 413, "payload_too_large")


async def test_an_upload_takes_one_file_part(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    citizen = await person()
    before = await counts(session)
    photo = jpeg_with_gps()
    files = [("file", ("a.jpg", photo, "image/jpeg")), ("file", ("b.jpg", photo, "image/jpeg"))]
    response = await client.post(UPLOAD, files=files, headers=citizen.headers)
    assert_problem(response, 400, "http_error")
    assert await counts(session) == before
