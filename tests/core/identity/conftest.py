"""Fixtures for identity tests: clients with other settings or addresses."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from core.http.resources import Resources
from core.settings import Settings

ClientFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


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
