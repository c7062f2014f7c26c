"""What operators see and others do not: /ready's failure detail and, in production, /metrics need an API
key with the ops:read scope; the probes' status stays public."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from core.http.resources import Resources
from core.identity.api_keys import HEADER
from core.settings import Profile, Settings
from tests.support.ops import ops_key
from tests.support.people import PersonFactory


@pytest.fixture
async def broken_broker(settings: Settings, resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    # A port nothing listens on: the broker check fails, with an error text that names the address.
    broken = settings.model_copy(update={"mqtt_port": 1, "ready_timeout_seconds": 1.0})
    app: FastAPI = create_app(broken)
    app.state.resources = Resources(broken, resources.engine, resources.sessionmaker, resources.redis)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


async def test_ready_shows_no_error_text_to_anonymous_callers(broken_broker: httpx.AsyncClient) -> None:
    response = await broken_broker.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["checks"]["broker"]["ok"] is False
    assert all(check.get("error") is None for check in body["checks"].values()), body


async def test_ready_shows_the_detail_to_operators(
    broken_broker: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    response = await broken_broker.get("/ready", headers=await ops_key(session, person))
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["error"]


async def test_ready_detail_needs_the_ops_scope(
    broken_broker: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    response = await broken_broker.get("/ready", headers=await ops_key(session, person, "feedback:read"))
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    bad = await broken_broker.get("/ready", headers={HEADER: "sc_00000000_" + "x" * 43})
    assert bad.status_code == 401


@pytest.fixture
async def production(settings: Settings, resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    chosen = settings.model_copy(update={"profile": Profile.PRODUCTION})
    app = create_app(chosen)
    app.state.resources = Resources(chosen, resources.engine, resources.sessionmaker, resources.redis)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        yield client


async def test_metrics_need_an_ops_key_in_production(
    production: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    refused = await production.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "api_key_invalid"
    response = await production.get("/metrics", headers=await ops_key(session, person))
    assert response.status_code == 200
    assert "smartcity_http_requests_total" in response.text


async def test_metrics_stay_open_in_development_and_test(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 200
