"""Fixtures for identity tests: the demo province, and clients with other settings or addresses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from core.http.resources import Resources
from core.settings import PROJECT_ROOT, Settings
from core.units.importer import import_units, read_document

DEMO = read_document(PROJECT_ROOT / "data" / "demo_province.geojson")

ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="session")
def settings(settings: Settings) -> Settings:
    """The suite's settings with a signing key of proper length.

    The development default secret is shorter than the 32 bytes RFC 7518 asks of an HS256 key, and PyJWT
    warns about it on every token, which this suite's filterwarnings turns into an error.
    """
    return settings.model_copy(update={"secret_key": SecretStr("identity-tests-" + "k" * 40)})


@pytest.fixture
async def units(session: AsyncSession) -> AsyncSession:
    """The demo province (37) and its wards, inside the test's transaction."""
    await import_units(session, DEMO)
    await session.flush()
    return session


@pytest.fixture
def make_client(settings: Settings, resources: Resources) -> ClientFactory:
    """A client for an app with some settings changed and/or calling from another address."""

    @asynccontextmanager
    async def factory(
        *, ip: str = "127.0.0.1", app: FastAPI | None = None, **overrides: Any
    ) -> AsyncIterator[httpx.AsyncClient]:
        changed = settings.model_copy(update=overrides)
        target = app or create_app(changed)
        target.state.resources = Resources(changed, resources.engine, resources.sessionmaker, resources.redis)
        transport = httpx.ASGITransport(app=target, client=(ip, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client

    return factory
