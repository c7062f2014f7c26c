"""Photo decoding has a quota: per person and per client address, every decode counts (refused photos and
refused reports included), and decodes run in a bounded pool that answers 503 media_busy when full."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from core.http.resources import Resources
from core.media import decode_pool
from tests.feedback.submission.helpers import (
    SUBMIT,
    UPLOAD,
    assert_problem,
    body,
    fresh_categories,
    jpeg_with_gps,
    multipart,
)
from tests.support.people import PersonFactory

__all__ = ["fresh_categories"]

CORRUPT = b"\xff\xd8\xff\xe0" + b"\x00" * 40
DEADLINE = 10.0
Tuned = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def tuned(resources: Resources) -> Tuned:
    """A client of an app whose settings differ from the suite's by `changes`."""

    @asynccontextmanager
    async def open_client(**changes: Any) -> AsyncIterator[httpx.AsyncClient]:
        settings = resources.settings.model_copy(update=changes)
        app = create_app(settings)
        app.state.resources = Resources(
            settings=settings,
            engine=resources.engine,
            sessionmaker=resources.sessionmaker,
            redis=resources.redis,
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

    return open_client


def _upload(data: bytes) -> dict[str, Any]:
    return {"files": {"file": ("photo.jpg", data, "image/jpeg")}}


async def test_refused_uploads_count_against_the_hourly_decodes(tuned: Tuned, person: PersonFactory) -> None:
    citizen = await person()
    async with tuned(media_decodes_per_user_per_hour=2) as client:
        for _ in range(2):
            assert_problem(
                await client.post(UPLOAD, **_upload(CORRUPT), headers=citizen.headers), 422, "image_corrupt"
            )
        response = await client.post(UPLOAD, **_upload(jpeg_with_gps()), headers=citizen.headers)
    assert_problem(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1


async def test_one_client_address_has_its_own_budget(tuned: Tuned, person: PersonFactory) -> None:
    first, second = await person(), await person()
    async with tuned(media_decodes_per_client_per_hour=2) as client:
        assert (
            await client.post(UPLOAD, **_upload(jpeg_with_gps()), headers=first.headers)
        ).status_code == 201
        assert (
            await client.post(UPLOAD, **_upload(jpeg_with_gps()), headers=second.headers)
        ).status_code == 201
        response = await client.post(UPLOAD, **_upload(jpeg_with_gps()), headers=second.headers)
    assert_problem(response, 429, "rate_limited")


@pytest.mark.parametrize(
    ("first", "status", "then"),
    [
        # The last photo is corrupt: two decodes were spent, so the report counts.
        (lambda: multipart(body(), [jpeg_with_gps(), CORRUPT]), 422, 429),
        # Refused before any photo was decoded: the budget is given back.
        (lambda: {"json": body(category_code="no_such")}, 422, 201),
    ],
    ids=["refused-after-decoding", "refused-before-decoding"],
)
async def test_a_refused_report_counts_once_it_has_decoded_photos(
    tuned: Tuned,
    catalogue: AsyncSession,
    person: PersonFactory,
    first: Callable[[], dict[str, Any]],
    status: int,
    then: int,
) -> None:
    citizen = await person()
    async with tuned(feedback_submissions_per_hour=1) as client:
        refused = await client.post(SUBMIT, **first(), headers=citizen.headers)
        assert refused.status_code == status, refused.text
        again = await client.post(SUBMIT, json=body(), headers=citizen.headers)
    assert again.status_code == then, again.text


async def test_an_upload_beyond_the_decode_pool_is_503_with_retry_after(
    tuned: Tuned, person: PersonFactory
) -> None:
    citizen = await person()
    # A pool of its own limits, held by one decode that waits for the test.
    pool = decode_pool(1, 0.05)
    started, release = threading.Event(), threading.Event()

    def hold() -> None:
        started.set()
        release.wait(DEADLINE)

    holding = asyncio.create_task(pool.run(hold))
    try:
        deadline = time.monotonic() + DEADLINE
        while not started.is_set():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.005)  # polling interval, bounded by the deadline
        async with tuned(media_decode_workers=1, media_decode_wait_seconds=0.05) as client:
            response = await client.post(UPLOAD, **_upload(jpeg_with_gps()), headers=citizen.headers)
            assert_problem(response, 503, "media_busy")
            assert int(response.headers["Retry-After"]) >= 1
            release.set()
            await holding
            accepted = await client.post(UPLOAD, **_upload(jpeg_with_gps()), headers=citizen.headers)
        assert accepted.status_code == 201, accepted.text
    finally:
        release.set()
        await holding
