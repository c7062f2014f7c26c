"""Ending sessions at once: a reused refresh token or a logout stops the access tokens of that sign-in, and
staff tokens are never accepted while ended sessions cannot be checked."""

from __future__ import annotations

import asyncio
import logging
import uuid

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from core.http.resources import Resources
from core.identity.principal import Principal, Role
from core.identity.tokens import issue_access_token, verify_access_token
from core.settings import Settings
from tests.core.identity.support import make_staff, problem, refreshed, sign_in_citizen, sign_in_staff
from tests.support.people import bearer

REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/me"


async def test_reuse_ends_the_access_tokens_of_that_sign_in_at_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    first = await sign_in_citizen(client, session)
    other = await sign_in_citizen(client, session)
    second = await refreshed(client, first["refresh_token"])
    assert (await client.get(ME, headers=bearer(second["access_token"]))).status_code == 200

    problem(
        await client.post(REFRESH, json={"refresh_token": first["refresh_token"]}),
        401,
        "refresh_token_reused",
    )

    for access in (first["access_token"], second["access_token"]):
        problem(await client.get(ME, headers=bearer(access)), 401, "invalid_token")
    # Another sign-in of the same person is not that family.
    assert (await client.get(ME, headers=bearer(other["access_token"]))).status_code == 200


async def test_logout_ends_the_access_tokens_of_that_sign_in_at_once(
    client: httpx.AsyncClient, session: AsyncSession
) -> None:
    tokens = await sign_in_citizen(client, session)
    other = await sign_in_citizen(client, session)
    headers = bearer(tokens["access_token"])

    assert (
        await client.post(LOGOUT, json={"refresh_token": tokens["refresh_token"]}, headers=headers)
    ).status_code == 204

    problem(await client.get(ME, headers=headers), 401, "invalid_token")
    assert (await client.get(ME, headers=bearer(other["access_token"]))).status_code == 200


def _unreachable_redis_app(settings: Settings, resources: Resources) -> FastAPI:
    # A port nothing listens on: every check of ended sessions fails.
    broken = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5, socket_timeout=0.5)
    app = create_app(settings)
    app.state.resources = Resources(settings, resources.engine, resources.sessionmaker, broken)
    return app


async def test_staff_tokens_are_refused_while_ended_sessions_cannot_be_checked(
    client: httpx.AsyncClient,
    units: AsyncSession,
    settings: Settings,
    resources: Resources,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await make_staff(units, "officer.down")
    staff = await sign_in_staff(client, "officer.down")
    citizen = await sign_in_citizen(client, units)
    app = _unreachable_redis_app(settings, resources)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as down:
        with caplog.at_level(logging.WARNING, logger="smartcity.policies"):
            response = await down.get(ME, headers=bearer(staff["access_token"]))
        body = problem(response, 503, "session_check_unavailable")
        assert int(response.headers["retry-after"]) > 0
        assert body["status"] == 503
        # Citizens' tokens live minutes and carry no staff power: they are accepted, and the gap is logged.
        assert (await down.get(ME, headers=bearer(citizen["access_token"]))).status_code == 200
    await app.state.resources.redis.aclose()


async def test_a_busy_redis_pool_waits_instead_of_failing(settings: Settings) -> None:
    small = settings.model_copy(update={"redis_max_connections": 2})
    resources = Resources.open(small)
    try:
        pool = resources.redis.connection_pool
        assert isinstance(pool, BlockingConnectionPool)
        assert pool.max_connections == 2
        # Each call holds its connection for a moment; 20 at once on 2 connections all succeed.
        results = await asyncio.gather(
            *(resources.redis.blpop([f"smartcity:test:pool:{n}"], timeout=0.05) for n in range(20))
        )
        assert results == [None] * 20
    finally:
        await resources.close()


def test_a_sign_in_names_its_session_in_the_access_token(settings: Settings) -> None:
    family = uuid.uuid4()
    token, _ = issue_access_token(
        settings, Principal(user_id=uuid.uuid4(), role=Role.CITIZEN, session_id=str(family))
    )
    assert verify_access_token(settings, token).session_id == str(family)
