"""Request bodies are bounded while they stream in: too large is 413 payload_too_large before any parsing or
policy, with a limit chosen by the kind of route (JSON, photo uploads, Open311 forms)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from core.errors import PROBLEM_CONTENT_TYPE
from core.settings import Settings
from tests.support.people import PersonFactory

LOGIN = "/api/v1/auth/login"
UPLOAD = "/api/v1/feedback/photos"
SUBMIT = "/api/v1/feedback"
OPEN311_POST = "/open311/v2/requests.json"
BOUNDARY = "limit-test-boundary"


async def _chunks(total: int, chunk: int = 16 * 1024) -> AsyncIterator[bytes]:
    """A body sent without Content-Length (chunked), so only counting the bytes can refuse it."""
    sent = 0
    while sent < total:
        size = min(chunk, total - sent)
        sent += size
        yield b"a" * size


def _assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)
    problem = response.json()
    assert problem["code"] == "payload_too_large"
    assert problem["status"] == 413
    assert response.headers.get("x-request-id")


async def test_json_body_announced_too_large_is_413_before_the_caller_is_checked(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    content = b'{"username": "' + b"a" * settings.http_json_max_bytes + b'"}'
    response = await client.post(
        LOGIN, content=content, headers={"content-type": "application/json", "accept-language": "en"}
    )
    _assert_too_large(response)
    assert response.json()["title"] == "Payload too large"


async def test_json_body_streamed_without_length_is_cut_off_at_the_limit(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    response = await client.post(
        LOGIN,
        content=_chunks(settings.http_json_max_bytes + 1),
        headers={"content-type": "application/json"},
    )
    _assert_too_large(response)


async def test_json_body_within_the_limit_reaches_the_route(client: httpx.AsyncClient) -> None:
    response = await client.post(LOGIN, json={"username": "nobody", "password": "x" * 20})
    assert response.status_code == 401, response.text


async def _multipart_photo(size: int) -> AsyncIterator[bytes]:
    """The start of a well-formed upload whose one file part goes on for `size` bytes."""
    yield f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'.encode()
    yield b"Content-Type: image/jpeg\r\n\r\n"
    async for chunk in _chunks(size, chunk=256 * 1024):
        yield chunk


async def test_upload_larger_than_one_photo_is_413(
    client: httpx.AsyncClient, settings: Settings, person: PersonFactory
) -> None:
    citizen = await person()
    response = await client.post(
        UPLOAD,
        content=_multipart_photo(settings.media_max_bytes + settings.http_multipart_slack_bytes),
        headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}", **citizen.headers},
    )
    _assert_too_large(response)


async def test_anonymous_upload_is_refused_before_its_parts_are_read(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    read = 0

    async def counted() -> AsyncIterator[bytes]:
        nonlocal read
        async for chunk in _multipart_photo(settings.media_max_bytes):
            read += len(chunk)
            yield chunk

    response = await client.post(
        UPLOAD, content=counted(), headers={"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    )
    assert response.status_code == 401, response.text
    assert read < 1024 * 1024


async def test_json_submission_has_the_json_limit_not_the_photo_limit(
    client: httpx.AsyncClient, settings: Settings, person: PersonFactory
) -> None:
    citizen = await person()
    response = await client.post(
        SUBMIT,
        content=_chunks(settings.http_json_max_bytes + 1),
        headers={"content-type": "application/json", **citizen.headers},
    )
    _assert_too_large(response)


async def test_multipart_elsewhere_has_the_small_limit(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await client.post(
        LOGIN,
        content=_chunks(settings.http_json_max_bytes + 1),
        headers={"content-type": "multipart/form-data; boundary=abc"},
    )
    _assert_too_large(response)


async def test_open311_form_is_bounded_before_the_api_key_is_read(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    form = b"api_key=nope&description=" + b"a" * settings.http_form_max_bytes
    response = await client.post(
        OPEN311_POST, content=form, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    _assert_too_large(response)


@pytest.mark.parametrize("method", ["GET", "DELETE"])
async def test_any_route_bounds_a_body(client: httpx.AsyncClient, settings: Settings, method: str) -> None:
    # The route reads no body, so only the announced length can refuse it; it must, before the policy.
    response = await client.request(method, "/api/v1/me", content=b"a" * (settings.http_json_max_bytes + 1))
    _assert_too_large(response)
