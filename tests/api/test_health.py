from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from core.http.resources import Resources
from core.settings import Settings
from tests.support.ops import ops_key
from tests.support.people import PersonFactory


async def test_health_answers_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_ready_checks_database_redis_and_broker(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "redis", "broker"}
    assert all(check["ok"] for check in body["checks"].values())


async def test_ready_reports_an_unreachable_broker(settings: Settings, resources: Resources) -> None:
    # A port nothing listens on: the broker check must fail, quickly, and say why.
    broken = settings.model_copy(update={"mqtt_port": 1, "ready_timeout_seconds": 1.0})
    app: FastAPI = create_app(broken)
    app.state.resources = Resources(broken, resources.engine, resources.sessionmaker, resources.redis)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/ready", headers={"accept-language": "en"})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "not_ready"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["database"]["ok"] is True


async def test_ready_reports_pending_migrations(
    client: httpx.AsyncClient, session: AsyncSession, person: PersonFactory
) -> None:
    await session.execute(text("UPDATE alembic_version SET version_num = '0000_old'"))
    await session.flush()
    response = await client.get("/ready", headers=await ops_key(session, person))
    assert response.status_code == 503
    assert "migrations not current" in response.json()["checks"]["database"]["error"]


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    echoed = await client.get("/health", headers={"x-request-id": "phone-42.retry-1"})
    assert echoed.headers["x-request-id"] == "phone-42.retry-1"
    generated = await client.get("/health", headers={"x-request-id": "bad id with spaces"})
    assert generated.headers["x-request-id"] != "bad id with spaces"
    assert len(generated.headers["x-request-id"]) == 32


@pytest.mark.parametrize("path", ["/metrics"])
async def test_metrics_are_prometheus_text(client: httpx.AsyncClient, path: str) -> None:
    await client.get("/health")
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'smartcity_http_requests_total{method="GET",route="/health",status="200"}' in response.text
