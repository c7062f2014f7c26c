"""Fixtures shared by the whole suite.

The database is created and migrated with Alembic once per run. Each test runs inside a transaction that is
rolled back at the end; sessions opened by the app join it through savepoints, so a route's commit is real for
the route but never outlives the test. The demo province (`units`) and users with access tokens (`person`)
are imported or made in that transaction too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from api.app import create_app
from core.db import create_engine
from core.http.resources import Resources
from core.identity.principal import Role
from core.settings import Settings
from core.units.importer import import_units
from tests.support.people import Person, PersonFactory, make_person
from tests.support.stack import prepare_database, test_settings
from tests.support.units import DEMO


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The local stack's test settings, with a signing key of proper length and a private media folder.

    The development default secret is shorter than the 32 bytes RFC 7518 asks of an HS256 key, and PyJWT
    warns about it on every token, which this suite's filterwarnings turns into an error.
    """
    return test_settings().model_copy(
        update={
            "secret_key": SecretStr("smartcity-tests-" + "k" * 40),
            "media_root": tmp_path_factory.mktemp("media"),
        }
    )


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


@pytest.fixture
async def units(session: AsyncSession) -> AsyncSession:
    """The demo province (37) and its wards, inside the test's transaction."""
    await import_units(session, DEMO)
    await session.flush()
    return session


@pytest.fixture
def person(session: AsyncSession, settings: Settings) -> PersonFactory:
    """`await person()` a citizen, `await person(Role.OFFICER, "13666")` staff: a user with a token."""

    async def factory(role: Role = Role.CITIZEN, unit_code: str | None = None, **kwargs: Any) -> Person:
        return await make_person(session, settings, role, unit_code, **kwargs)

    return factory
