"""Anonymous reads cannot walk the whole table: Open311 pages end at most MAX_DEPTH rows deep, and every
anonymous read route (Open311 requests and updates, the public feed and map) is rate-limited per client."""

from __future__ import annotations

import dataclasses

import httpx
import pytest
from fastapi import FastAPI

from core.http.resources import Resources
from feedback.open311.requests import MAX_DEPTH
from tests.feedback.open311.helpers import as_json, assert_error

DEEP = [
    "/open311/v2/requests.json",
    "/open311/v2/servicerequestupdates.json",
]


@pytest.mark.parametrize("url", DEEP)
@pytest.mark.parametrize(("page", "page_size"), [("100000", "1000"), ("11", "1000"), (str(MAX_DEPTH), "2")])
async def test_pages_deeper_than_the_bound_are_400(
    client: httpx.AsyncClient, url: str, page: str, page_size: str
) -> None:
    response = await client.get(
        url, params={"page": page, "page_size": page_size}, headers={"accept-language": "en"}
    )
    assert str(MAX_DEPTH) in assert_error(response, 400, "page")


@pytest.mark.parametrize("url", DEEP)
async def test_the_deepest_page_allowed(client: httpx.AsyncClient, url: str) -> None:
    as_json(await client.get(url, params={"page": "10", "page_size": "1000"}))


@pytest.fixture
def strict_app(app: FastAPI, resources: Resources) -> FastAPI:
    """The app with three anonymous reads per client and minute."""
    settings = resources.settings.model_copy(update={"public_reads_per_minute": 3})
    app.state.resources = dataclasses.replace(resources, settings=settings)
    return app


@pytest.mark.parametrize(
    "url",
    [
        "/open311/v2/requests.json",
        "/open311/v2/requests/PA-2026-000001.json",
        "/open311/v2/servicerequestupdates.json",
        "/api/v1/feedback/public?bbox=106.1,20.4,106.2,20.5",
        "/api/v1/feedback/public/map?bbox=106.1,20.4,106.2,20.5",
    ],
)
async def test_anonymous_reads_are_rate_limited_per_client(
    strict_app: FastAPI, client: httpx.AsyncClient, url: str
) -> None:
    for _ in range(3):
        assert (await client.get(url)).status_code in (200, 404)
    refused = await client.get(url, headers={"accept-language": "en"})
    assert refused.status_code == 429, refused.text
    assert int(refused.headers["retry-after"]) >= 1
    if url.startswith("/open311"):
        assert_error(refused, 429)
    else:
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == "rate_limited"
    # Another client has its own budget.
    other = httpx.ASGITransport(app=strict_app, client=("192.0.2.7", 4000))
    async with httpx.AsyncClient(transport=other, base_url="http://testserver") as elsewhere:
        assert (await elsewhere.get(url)).status_code in (200, 404)
