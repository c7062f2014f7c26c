"""Fixtures shared by the whole suite.

The database is created and migrated with Alembic once per run. Each test runs inside a transaction that is
rolled back at the end; sessions opened by the app join it through savepoints, so a route's commit is real for
the route but never outlives the test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from core.db import create_engine
from core.http.resources import Resources
from core.settings import Settings
from tests.support.stack import prepare_database, test_settings


@pytest.fixture(scope="session")
def settings() -> Settings:
    return test_settings()


@pytest.fixture(scope="session")
def migrated(settings: Settings) -> Settings:
    prepare_database(settings)
    return settings


@pytest.fixture(scope="session")
async def engine(migrated: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture
def sessionmaker(connection: AsyncConnection) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        bind=connection, expire_on_commit=False, autoflush=False, join_transaction_mode="create_savepoint"
    )


@pytest.fixture
async def session(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with sessionmaker() as session:
        yield session


@pytest.fixture
async def redis(settings: Settings) -> AsyncIterator[Redis]:
    client = Redis.from_url(settings.redis_dsn)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def resources(
    settings: Settings, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], redis: Redis
) -> Resources:
    return Resources(settings=settings, engine=engine, sessionmaker=sessionmaker, redis=redis)


@pytest.fixture
def app(settings: Settings, resources: Resources) -> FastAPI:
    app = create_app(settings)
    # httpx's ASGI transport does not run the lifespan; hand the app the test's resources directly.
    app.state.resources = resources
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
