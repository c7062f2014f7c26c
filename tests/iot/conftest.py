"""Fixtures for the device registry tests: the demo province and people with tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from core.identity.principal import Role
from core.settings import PROJECT_ROOT, Settings
from core.units.importer import import_units, read_document
from tests.feedback.support import Person, make_person

DEMO = read_document(PROJECT_ROOT / "data" / "demo_province.geojson")

PersonFactory = Callable[..., Awaitable[Person]]


@pytest.fixture(scope="session")
def settings(settings: Settings) -> Settings:
    """A signing key of proper length (PyJWT warns on the short development one)."""
    return settings.model_copy(update={"secret_key": SecretStr("iot-tests-" + "k" * 40)})


@pytest.fixture
async def units(session: AsyncSession) -> AsyncSession:
    """The demo province and its wards, inside the test's transaction."""
    await import_units(session, DEMO)
    await session.flush()
    return session


@pytest.fixture
def person(session: AsyncSession, settings: Settings) -> PersonFactory:
    """`await person(Role.ADMIN)`, `await person(Role.OFFICER, "13666")`: a user with a token."""

    async def factory(role: Role = Role.CITIZEN, unit_code: str | None = None, **kwargs: Any) -> Person:
        return await make_person(session, settings, role, unit_code, **kwargs)

    return factory
